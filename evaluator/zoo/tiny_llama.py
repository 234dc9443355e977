"""Tiny random Llamas in git repositories: a byte-level BPE tokenizer, random weights, a model card.

`make_tiny_model_repo` makes one repository with several commits, each holding new random weights, so
a submission can pin a revision as it would on the Hub. The tokenizer is trained on a built-in corpus
(deterministic, byte fallback covers any text); the model is a 2- or 4-layer Llama, hidden size 32.

torch, transformers, safetensors and tokenizers are imported inside the functions that need them.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from evaluator.zoo.git_repo import commit_all, init_repo
from evaluator.zoo.model_card import model_card

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


@functools.lru_cache(maxsize=1)
def tiny_tokenizer_json() -> str:
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
    tokenizer_json = tiny_tokenizer_json()
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
    init_repo(dest)
    vocab_size = _write_tiny_tokenizer(dest, chat_template=chat_template)
    card = model_card(
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
        shas.append(commit_all(dest, message))
    return shas
