"""Which model an lm-eval run evaluated, and at what precision: ``config.model_args`` parsed, a local
model directory turned into an ``org/name``-like id, the precision read from dtype or quantization."""

from __future__ import annotations

import re
from typing import Any

from warehouse.formats.labels import normalize_precision


def parse_model_args(model_args: Any) -> dict[str, str]:
    """lm-eval's ``config.model_args``: ``pretrained=org/name,dtype=bfloat16`` (or already a dict)."""
    if isinstance(model_args, dict):
        return {str(k): str(v) for k, v in model_args.items()}
    if not isinstance(model_args, str):
        return {}
    pairs = (part.split("=", 1) for part in model_args.split(",") if "=" in part)
    return {key.strip(): value.strip() for key, value in pairs}


_CHECKPOINT_PART = re.compile(
    r"^(checkpoint|step|global_step|iter|epoch)[-_]?\d+$|^\d+$|^(final|latest|merged)$", re.I
)


def model_id_from_path(path: str) -> str:
    """A local model directory → an ``org/name``-like id: the last two meaningful path parts, where a
    checkpoint folder is appended to its model's name (``.../google/gemma-2-9b/1/checkpoint-501`` →
    ``google/gemma-2-9b-checkpoint-501``) and bare run numbers are dropped."""
    parts = [part for part in re.split(r"[\\/]+", path.strip()) if part and part not in (".", "..", "~")]
    if len(parts) <= 1:
        return parts[0] if parts else path
    suffix = []
    while len(parts) > 2 and _CHECKPOINT_PART.match(parts[-1]):
        last = parts.pop()
        if not last.isdigit():
            suffix.insert(0, last)
    name = "-".join([parts[-1], *suffix])
    return f"{parts[-2]}/{name}"


def model_name(data: dict, args: dict[str, str]) -> str | None:
    """The file's ``model_name`` or the model argument; a local path becomes an id (model_id_from_path)."""
    name = data.get("model_name") or args.get("pretrained") or args.get("model") or args.get("path")
    if not isinstance(name, str) or not name.strip():
        return None
    name = name.strip()
    looks_local = name.startswith(("/", "./", "../", "~")) or name.count("/") > 1 or "\\" in name
    return model_id_from_path(name) if looks_local else name


def model_precision(config: dict, args: dict[str, str]) -> str | None:
    """4bit / 8bit loading, a quantization, a GGUF file, or else the dtype (normalized)."""
    if args.get("load_in_4bit", "").lower() == "true":
        return "4bit"
    if args.get("load_in_8bit", "").lower() == "true":
        return "8bit"
    if args.get("quantization"):
        return normalize_precision(args["quantization"])
    if args.get("gguf_file"):
        return "gguf"
    dtype = config.get("model_dtype") or args.get("dtype")
    return normalize_precision(dtype) if isinstance(dtype, str) else None
