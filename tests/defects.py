"""Repositories with one defect each, for the submission checks' tests: a tiny-Llama repository whose
last commit breaks exactly one rule (remote code, an unknown architecture, pickle weights, ...).

torch, transformers and safetensors are imported inside the functions that need them.
"""

from __future__ import annotations

import json
from pathlib import Path

from evaluator.zoo import make_tiny_model_repo
from evaluator.zoo.git_repo import commit_all

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
    return commit_all(dest, f"A repository with one defect: {kind}")
