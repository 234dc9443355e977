"""The leaderboard's request files: one JSON per submission in ``open-llm-leaderboard/requests`` (v2)
or ``open-llm-leaderboard-old/requests`` (v1, 2023), named
``<model>_eval_request_<private>_<precision>_<weight type>.json``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from warehouse.formats.common import (
    FormatError,
    finite_number,
    load_json_object,
    parse_time,
    shown,
    typed_field,
)
from warehouse.formats.labels import normalize_model_type, normalize_precision


@dataclass
class ParsedRequest:
    source_file: str
    model: str
    base_model: str | None
    revision: str | None  # the model's commit sha, or a ref ("main") in v1 files
    precision: str | None
    weight_type: str | None  # Original | Delta | Adapter
    status: str | None  # as the leaderboard wrote it, upper-cased: PENDING, RUNNING, FINISHED, FAILED...
    submitted_time: datetime | None
    model_type: str | None  # one of core.vocabulary.IMPORTED_MODEL_TYPES, or None
    model_type_raw: str | None
    job_id: str | None  # None where the file says -1 (no job yet)
    job_start_time: datetime | None
    use_chat_template: bool
    sender: str | None
    params_b: float | None
    architectures: str | None
    license: str | None
    likes: int | None
    private: bool
    raw: dict = field(repr=False)
    format: str = "v2"  # "v1" (2023, open-llm-leaderboard-old) or "v2" (has use_chat_template)
    dataset: str | None = None  # e.g. "open-llm-leaderboard/requests", from the path
    dataset_revision: str | None = None  # the dataset commit (or "refs/pr/N") the file was read at


LIKES = "a count from 0 to 2147483647"

_REQUEST_NAME = re.compile(
    r"^(?P<model>.+)_eval_request_(?P<private>True|False)_(?P<precision>[^_]+)_(?P<weight>[^_]+)\.json$"
)
_DATASET_REVISION = re.compile(r"^([0-9a-f]{40}|refs_pr_\d+|main)$")


def parse_request(path: str | Path) -> ParsedRequest:
    """Parse a leaderboard request file (v1 or v2 shape). Precision, weight type and privacy missing
    from the file are read from its name; the dataset and its revision from its folders."""
    path = Path(path)
    source = str(path)
    data = load_json_object(path)
    name_match = _REQUEST_NAME.match(path.name)
    from_name = name_match.groupdict() if name_match else {}

    model = _model(data, source)
    precision = _text(data, "precision", source) or _from_name(from_name, "precision")
    weight_type = _text(data, "weight_type", source) or _from_name(from_name, "weight")
    private = typed_field(data, "private", bool, source, "true or false")
    if private is None:
        private = from_name.get("private") == "True"
    job_id = _job_id(data, source)
    params_b = _params_b(data, source)
    likes = typed_field(data, "likes", int, source, LIKES)
    if likes is not None and not 0 <= likes <= 2**31 - 1:  # the hub's count of hearts: a 32-bit count
        raise FormatError(source, "likes", f"expected {LIKES}, got {shown(likes)}")
    use_chat_template = typed_field(data, "use_chat_template", bool, source, "true or false")
    status = _text(data, "status", source)
    architectures = _architectures(data, source)
    model_type_raw = _text(data, "model_type", source)
    dataset, dataset_revision = _dataset_location(path)
    return ParsedRequest(
        source_file=source,
        model=model,
        base_model=_text(data, "base_model", source),
        revision=_text(data, "revision", source),
        precision=normalize_precision(precision),
        weight_type=weight_type,
        status=status.upper() if status else None,
        submitted_time=parse_time(data.get("submitted_time"), source, "submitted_time"),
        model_type=normalize_model_type(model_type_raw),
        model_type_raw=model_type_raw,
        job_id=job_id,
        job_start_time=parse_time(data.get("job_start_time"), source, "job_start_time"),
        use_chat_template=bool(use_chat_template),
        sender=_text(data, "sender", source),
        params_b=params_b,
        architectures=architectures,
        license=_text(data, "license", source),
        likes=likes,
        private=private,
        raw=data,
        format="v2" if "use_chat_template" in data else "v1",
        dataset=dataset,
        dataset_revision=dataset_revision,
    )


def _text(data: dict, key: str, path: str) -> str | None:
    value = typed_field(data, key, str, path, "a string or null")
    if value is None:
        return None
    return value.strip() or None


def _from_name(from_name: dict[str, str], part: str) -> str | None:
    """A part of the file's name; None where the name has none or says ``False`` (v1 files)."""
    value = from_name.get(part)
    return None if value in (None, "False") else value


def _model(data: dict, source: str) -> str:
    model = typed_field(data, "model", str, source, "the model id as 'org/name'", required=True).strip()
    if not model:
        raise FormatError(source, "model", "empty; expected the model id as 'org/name'")
    return model


def _job_id(data: dict, source: str) -> str | None:
    """The leaderboard's job id as text; None where the file says -1 (no job yet) or nothing."""
    job_id = typed_field(data, "job_id", (str, int), source, "a job id (string or integer; -1 for none)")
    if job_id is None:
        return None
    job_id = str(job_id).strip()
    return None if job_id in ("", "-1") else job_id


def _params_b(data: dict, source: str) -> float | None:
    params = data.get("params")
    if params is not None and finite_number(params) is None:
        raise FormatError(
            source, "params", f"expected a number of parameters in billions or null, got {shown(params)}"
        )
    return finite_number(params)


def _architectures(data: dict, source: str) -> str | None:
    """``["LlamaForCausalLM"]`` or ``"LlamaForCausalLM"`` → comma-joined text; None when empty."""
    architectures = data.get("architectures")
    if isinstance(architectures, list):
        architectures = ",".join(str(a) for a in architectures)
    elif architectures is not None and not isinstance(architectures, str):
        raise FormatError(
            source, "architectures", f"expected a string or a list of strings, got {shown(architectures)}"
        )
    return architectures or None


def _dataset_location(path: Path) -> tuple[str | None, str | None]:
    """``<dataset>/<dataset revision>/<org>/<file>`` → (dataset, revision); (None, None) otherwise."""
    parents = path.parts[:-1]
    if len(parents) < 2 or not _DATASET_REVISION.match(parents[-2]):
        return None, None
    revision = parents[-2]
    if revision.startswith("refs_pr_"):
        revision = "refs/pr/" + revision.removeprefix("refs_pr_")
    dataset = parents[-3].replace("__", "/") if len(parents) >= 3 else None
    return dataset, revision
