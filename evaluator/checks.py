"""Submission checks. Each failure names the field and says what would be accepted."""

from __future__ import annotations

import json
import re
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

MODEL_ID = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?/[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$")
TRUST_REMOTE_CODE = "needs trust_remote_code: only architectures in a stable transformers release are accepted"


class SubmissionError(ValueError):
    """A refused submission: `field` is the form field at fault, `message` (one line) what would be accepted."""

    def __init__(self, field: str, message: str):
        message = " ".join(str(message).split())
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass
class ModelFacts:
    """What the checks learned about the model at its pinned revision."""

    sha: str
    params: int  # counted from the weight files' headers
    architectures: str
    license: str
    weight_files: list[str]
    fingerprint: dict[str, str]
    has_chat_template: bool
    gguf_file: str | None

    @property
    def params_b(self) -> float:
        return round(self.params / 1e9, 6)


class SubmissionProblem(Exception):
    """Found while evaluating: the model itself cannot be evaluated (bad config, corrupt weights), so
    retrying will not help."""


def shown(value: object, limit: int = 60) -> str:
    """A value as an error message quotes it: its repr, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_model_id(model_id: str, field: str = "model") -> str:
    """An 'org/name' id; it is only ever stored, never joined into a file path."""
    if not isinstance(model_id, str) or not MODEL_ID.fullmatch(model_id) or ".." in model_id:
        raise SubmissionError(field, f"{shown(model_id)} is not a valid model id: expected 'org/name' with "
                                     "letters, digits, '-', '_' and '.', each part at most 96 characters")
    return model_id


REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/~^-]{0,254}$")  # a sha, a branch, main~2


def check_revision(revision: str) -> str:
    """A commit sha or a branch name: never an option (``-x``), a control character or a NUL byte."""
    if not isinstance(revision, str) or not REVISION.fullmatch(revision) or ".." in revision:
        raise SubmissionError("revision", f"{shown(revision)} is not a commit sha or branch name: expected "
                                          "letters, digits, '.', '_', '/', '-', '~' and '^', at most 255 characters")
    return revision


def check_choice(field: str, value: str, accepted: tuple[str, ...]) -> str:
    if value not in accepted:
        raise SubmissionError(field, f"{shown(value)} is not accepted: choose one of {', '.join(accepted)}")
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


GGUF_MAGIC = b"GGUF"
_GGUF_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


class _NeedMoreBytes(Exception):
    pass


def gguf_header(head: bytes, name: str) -> tuple[int, bool]:
    """(parameter count, has a chat template) from a GGUF file's header alone (its first bytes).

    Raises _NeedMoreBytes when `head` ends inside the header, SubmissionError when it is not GGUF."""
    if len(head) >= 4 and head[:4] != GGUF_MAGIC:
        raise SubmissionError("weights", f"{name} is not a GGUF file (it does not start with 'GGUF')")
    pos = 0

    def take(fmt: str):
        nonlocal pos
        size = struct.calcsize(fmt)
        if pos + size > len(head):
            raise _NeedMoreBytes
        (value,) = struct.unpack_from(fmt, head, pos)
        pos += size
        return value

    def string() -> bytes:
        nonlocal pos
        n = take("<Q")
        if n > 1 << 30:
            raise SubmissionError("weights", f"{name} is corrupt (a GGUF string of {n} bytes)")
        skip(n)
        return head[pos - n : pos]

    def value(kind: int) -> None:
        if kind in _GGUF_SCALARS:
            take(_GGUF_SCALARS[kind])
        elif kind == 8:
            string()
        elif kind == 9:
            item, count = take("<I"), take("<Q")
            if item in _GGUF_SCALARS:  # a fixed-size array: skip it at once
                skip(struct.calcsize(_GGUF_SCALARS[item]) * count)
            else:
                for _ in range(count):
                    value(item)
        else:
            raise SubmissionError("weights", f"{name} is corrupt (unknown GGUF value type {kind})")

    def skip(n: int) -> None:
        nonlocal pos
        if pos + n > len(head):
            raise _NeedMoreBytes
        pos += n

    take("<I")  # magic
    version = take("<I")
    if version not in (2, 3):
        raise SubmissionError("weights", f"{name}: GGUF version {version} is not supported (accepted: 2 or 3)")
    n_tensors, n_kv = take("<Q"), take("<Q")
    if n_tensors > 1_000_000 or n_kv > 1_000_000:
        raise SubmissionError("weights", f"{name} is corrupt (GGUF header claims {n_tensors} tensors)")
    has_template = False
    for _ in range(n_kv):
        key = string()
        kind = take("<I")
        has_template = has_template or key == b"tokenizer.chat_template"
        value(kind)
    params = 0
    for _ in range(n_tensors):
        string()
        dims = take("<I")
        count = 1
        for _ in range(dims):
            count *= take("<Q")
        take("<I")  # tensor type
        take("<Q")  # offset
        params += count
    return params, has_template


def read_gguf_header(source, name: str) -> tuple[int, bool]:
    """Read ever longer prefixes of a GGUF file until its header parses (vocabularies take a few MB)."""
    limit, size = 1 << 20, source.size(name)
    while True:
        head = source.read(name, limit=min(limit, size) or None)
        try:
            return gguf_header(head, name)
        except _NeedMoreBytes:
            if len(head) >= size or limit >= 256 << 20:
                raise SubmissionError("weights", f"{name} is truncated (its GGUF header ends early)") from None
            limit *= 4


def read_safetensors_params(source, name: str) -> int:
    size = source.size(name)
    head = source.read(name, limit=8)
    n = struct.unpack("<Q", head[:8])[0] if len(head) == 8 else 0
    if len(head) == 8 and n <= 100_000_000:
        head = source.read(name, limit=8 + n)
    return safetensors_params((head, size), name)


def card_license(card: str) -> str:
    match = re.match(r"^---\s*\n(.*?)\n---", card, re.S)
    if not match:
        return ""
    lic = re.search(r"^license:\s*['\"]?([^'\"\n]+)", match.group(1), re.M)
    return lic.group(1).strip() if lic else ""


def check_config(data: dict) -> tuple[str, str]:
    """Load config.json's object with AutoConfig (never trusting remote code); returns (model_type, architectures)."""
    if "auto_map" in data:
        raise SubmissionError("config", f"config.json has auto_map (custom code), so it {TRUST_REMOTE_CODE}")
    from transformers import AutoConfig
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    model_type = data.get("model_type")
    if not model_type:
        raise SubmissionError("config", "config.json has no model_type (accepted: a model_type of a stable "
                                        "transformers release, such as llama or qwen2)")
    if model_type not in CONFIG_MAPPING_NAMES:
        raise SubmissionError("config", f"model_type {model_type!r} is not known to transformers: {TRUST_REMOTE_CODE}")
    if model_type not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        raise SubmissionError("config", f"model_type {model_type!r} cannot be loaded as a causal language model "
                                        "(accepted: decoder models such as llama, mistral, qwen2, gemma)")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "config.json").write_text(json.dumps(data))
        try:
            AutoConfig.from_pretrained(tmp, trust_remote_code=False)
        except Exception as exc:  # transformers raises several kinds here
            raise SubmissionError("config", f"config.json does not load with AutoConfig: {exc}") from None
    return model_type, ",".join(data.get("architectures") or [])


def check_no_remote_code(folder: Path) -> None:
    """The worker's own look at a checkout before loading it: refuse any config that points at custom
    code, whatever the submission checks saw (a request can reach a worker without them)."""
    for name, field in (("config.json", "config"), ("tokenizer_config.json", "tokenizer"),
                        ("adapter_config.json", "weight_type")):
        path = folder / name
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text())
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise SubmissionError(field, f"{name} is not valid JSON") from None
        if isinstance(data, dict) and "auto_map" in data:
            raise SubmissionError(field, f"{name} has auto_map (custom code), so it {TRUST_REMOTE_CODE}")


def _json_file(source, name: str, field: str) -> dict:
    try:
        data = json.loads(source.read(name))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SubmissionError(field, f"{name} is not valid JSON") from None
    if not isinstance(data, dict):
        raise SubmissionError(field, f"{name} must hold a JSON object")
    return data


def inspect_model(source, precision: str, use_chat_template: bool, max_params_b: float,
                  weight_type: str = "Original") -> ModelFacts:
    """Every check that needs the model's files, at the source's pinned sha; reads headers, never tensors."""
    files = source.files()
    if weight_type == "Adapter":
        if "adapter_config.json" not in files:
            raise SubmissionError("weight_type", "Adapter needs adapter_config.json at the revision "
                                                 "(or submit the merged model as Original)")
        architectures = "adapter"
    else:
        if "config.json" not in files:
            raise SubmissionError("config", "config.json is missing at this revision")
        _, architectures = check_config(_json_file(source, "config.json", "config"))
    tokenizer_config = _json_file(source, "tokenizer_config.json", "tokenizer") if "tokenizer_config.json" in files \
        else {}
    if "auto_map" in tokenizer_config:
        raise SubmissionError("tokenizer", f"tokenizer_config.json has auto_map (custom code), so it {TRUST_REMOTE_CODE}")

    gguf_template = False
    if precision == "gguf":
        weights = sorted(f for f in files if f.endswith(".gguf"))
        if not weights:
            raise SubmissionError("precision", "precision gguf needs a .gguf file at the revision "
                                               "(or choose float32, float16, bfloat16, 8bit or 4bit)")
        if len(weights) > 1:
            raise SubmissionError("precision", f"precision gguf needs exactly one .gguf file at the revision, "
                                               f"found {len(weights)}: {', '.join(weights)}")
        params, gguf_template = read_gguf_header(source, weights[0])
    else:
        weights = sorted(f for f in files if f.endswith(".safetensors"))
        if not weights:
            pickled = [f for f in files if f.endswith((".bin", ".pt", ".pth", ".ckpt", ".pkl"))]
            if pickled:
                raise SubmissionError("weights", f"only safetensors weights are accepted (found {pickled[0]}, a "
                                                 "pickle-based file); convert them with "
                                                 "`save_pretrained(..., safe_serialization=True)`")
            raise SubmissionError("weights", "no .safetensors weights at this revision (accepted: safetensors "
                                             "files, or a .gguf file with precision gguf)")
        params = sum(read_safetensors_params(source, name) for name in weights)
    if params <= 0:
        raise SubmissionError("weights", f"{weights[0]} holds no tensors")
    params_b = params / 1e9
    if params_b > max_params_b:
        raise SubmissionError("model", f"{params_b:.1f}B parameters is above this leaderboard's limit of "
                                       f"{max_params_b:g}B (LLMBOARD_MAX_PARAMS_B)")

    if "README.md" not in files:
        raise SubmissionError("model_card", "no model card (README.md) at this revision: add one with a license")
    license = card_license(source.read("README.md").decode("utf-8", "replace"))
    if not license:
        raise SubmissionError("license", "the model card has no license: add `license: <id>` to its YAML front matter")

    has_template = "chat_template.jinja" in files or bool(tokenizer_config.get("chat_template")) or gguf_template
    if use_chat_template and not has_template:
        raise SubmissionError("use_chat_template", "the tokenizer has no chat template: submit without "
                                                   "use_chat_template, or add one to tokenizer_config.json")
    fingerprint = {name: source.blob_sha256(name) for name in weights}
    return ModelFacts(source.sha, params, architectures, license, weights, fingerprint,
                      has_template, weights[0] if precision == "gguf" else None)
