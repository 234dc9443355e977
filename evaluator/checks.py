"""Submission checks. Each failure names the field and says what would be accepted."""

from __future__ import annotations

import json
import re
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

PRECISIONS = ("float32", "float16", "bfloat16", "8bit", "4bit", "gguf")
WEIGHT_TYPES = ("Original", "Delta", "Adapter")
MODEL_TYPES = ("pretrained", "continuously-pretrained", "fine-tuned", "chat", "merge")
MODEL_ID = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?/[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$")
TRUST_REMOTE_CODE = "needs trust_remote_code: only architectures in a stable transformers release are accepted"


class SubmissionError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass
class ModelFacts:
    """What the checks learned about the model at its pinned revision."""

    sha: str
    params_b: float
    architectures: str
    license: str
    weight_files: list[str]
    fingerprint: dict[str, str]
    has_chat_template: bool
    gguf_file: str | None


def check_model_id(model_id: str) -> str:
    if not isinstance(model_id, str) or not MODEL_ID.match(model_id) or ".." in model_id:
        raise SubmissionError("model", f"{model_id!r} is not a valid model id: expected 'org/name' with letters, "
                                       "digits, '-', '_' and '.', each part at most 96 characters")
    return model_id


def check_choice(field: str, value: str, accepted: tuple[str, ...]) -> str:
    if value not in accepted:
        raise SubmissionError(field, f"{value!r} is not accepted: choose one of {', '.join(accepted)}")
    return value


def safetensors_params(header_and_size: tuple[bytes, int], name: str) -> int:
    """Count parameters from a safetensors header alone; refuse a corrupt or truncated file."""
    head, size = header_and_size
    if len(head) < 8:
        raise SubmissionError("weights", f"{name} is truncated (no safetensors header)")
    (n,) = struct.unpack("<Q", head[:8])
    if n > 100_000_000 or 8 + n > size or len(head) < 8 + n:
        raise SubmissionError("weights", f"{name} is corrupt or truncated (header length {n}, file {size} bytes)")
    try:
        header = json.loads(head[8 : 8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SubmissionError("weights", f"{name} is corrupt (its safetensors header is not JSON)") from None
    total, end = 0, 0
    for key, meta in header.items():
        if key == "__metadata__":
            continue
        try:
            count = 1
            for d in meta["shape"]:
                count *= int(d)
            total += count
            end = max(end, int(meta["data_offsets"][1]))
        except (KeyError, TypeError, ValueError, IndexError):
            raise SubmissionError("weights", f"{name} is corrupt (tensor {key!r} has no valid shape/offsets)") from None
    if 8 + n + end != size:
        raise SubmissionError("weights", f"{name} is truncated or corrupt: expected {8 + n + end} bytes, found {size}")
    return total


def card_license(card: str) -> str:
    match = re.match(r"^---\s*\n(.*?)\n---", card, re.S)
    if not match:
        return ""
    lic = re.search(r"^license:\s*['\"]?([^'\"\n]+)", match.group(1), re.M)
    return lic.group(1).strip() if lic else ""


def check_config(raw: bytes) -> tuple[str, str]:
    """Load config.json with AutoConfig (never trusting remote code); returns (model_type, architectures)."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SubmissionError("config", "config.json is not valid JSON") from None
    if "auto_map" in data:
        raise SubmissionError("config", TRUST_REMOTE_CODE)
    from transformers import AutoConfig
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    model_type = data.get("model_type")
    if model_type not in CONFIG_MAPPING_NAMES:
        raise SubmissionError("config", f"model_type {model_type!r} is not known to transformers: {TRUST_REMOTE_CODE}")
    if model_type not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        raise SubmissionError("config", f"model_type {model_type!r} cannot be loaded as a causal language model "
                                        "(accepted: decoder models such as llama, mistral, qwen2, gemma)")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "config.json").write_bytes(raw)
        try:
            AutoConfig.from_pretrained(tmp, trust_remote_code=False)
        except Exception as exc:  # transformers raises several kinds here
            raise SubmissionError("config", f"config.json does not load with AutoConfig: {exc}") from None
    return model_type, ",".join(data.get("architectures") or [])


def inspect_model(source, precision: str, use_chat_template: bool, max_params_b: float,
                  weight_type: str = "Original") -> ModelFacts:
    files = source.files()
    if weight_type == "Adapter":
        if "adapter_config.json" not in files:
            raise SubmissionError("weight_type", "Adapter needs adapter_config.json at the revision")
        architectures = "adapter"
    else:
        if "config.json" not in files:
            raise SubmissionError("config", "config.json is missing at this revision")
        _, architectures = check_config(source.read("config.json"))

    if precision == "gguf":
        weights = [f for f in files if f.endswith(".gguf")]
        if not weights:
            raise SubmissionError("precision", "precision gguf needs a .gguf file at the revision")
        params = 0
    else:
        if any(f.endswith((".bin", ".pt", ".pth", ".ckpt", ".pkl")) for f in files) and not any(
            f.endswith(".safetensors") for f in files
        ):
            raise SubmissionError("weights", "only safetensors weights are accepted (found pickle-based files); "
                                             "convert them with `save_pretrained(..., safe_serialization=True)`")
        weights = [f for f in files if f.endswith(".safetensors")]
        if not weights:
            raise SubmissionError("weights", "no .safetensors weights at this revision")
        params = 0
        for name in weights:
            size = source.size(name)
            head = source.read(name, limit=8)
            n = struct.unpack("<Q", head[:8])[0] if len(head) == 8 else 0
            head = source.read(name, limit=8 + min(n, 100_000_001))
            params += safetensors_params((head, size), name)
    params_b = params / 1e9
    if params_b > max_params_b:
        raise SubmissionError("model", f"{params_b:.1f}B parameters is above this leaderboard's limit of {max_params_b}B")

    if "README.md" not in files:
        raise SubmissionError("model_card", "no model card (README.md) at this revision: add one with a license")
    license = card_license(source.read("README.md").decode("utf-8", "replace"))
    if not license:
        raise SubmissionError("license", "the model card has no license: add `license: <id>` to its YAML front matter")

    has_template = "chat_template.jinja" in files
    if not has_template and "tokenizer_config.json" in files:
        try:
            has_template = bool(json.loads(source.read("tokenizer_config.json")).get("chat_template"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            has_template = False
    if precision == "gguf":
        has_template = has_template or use_chat_template  # GGUF files carry their own template
    if use_chat_template and not has_template:
        raise SubmissionError("use_chat_template", "the tokenizer has no chat template: submit without "
                                                   "use_chat_template, or add one to tokenizer_config.json")
    fingerprint = {name: source.blob_sha256(name) for name in weights}
    return ModelFacts(source.sha, round(params_b, 6), architectures, license, weights, fingerprint, has_template,
                      weights[0] if precision == "gguf" else None)
