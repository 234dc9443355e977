"""Readers for the Open LLM Leaderboard's file formats: pure parsing, no database.

- ``parse_results``: an lm-evaluation-harness results JSON (v2 leaderboard, our offline suite, any
  lm-eval run) or a 2023 lighteval results JSON (v1 leaderboard).
- ``parse_request``: a request file of ``open-llm-leaderboard/requests`` (v2) or
  ``open-llm-leaderboard-old/requests`` (v1).
- ``read_contents`` / ``to_contents``: the leaderboard's published ``contents`` table (CSV or Parquet).

Metric keys like ``acc_norm,none`` are split here, once. Every malformed input raises ``FormatError``
naming the file and the field.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import polars as pl


class FormatError(ValueError):
    """A file does not match its format; names the file, the field and what would be accepted."""

    def __init__(self, path: str | Path, field: str, message: str):
        self.path = str(path)
        self.field = field
        self.message = message
        super().__init__(f"{self.path}: field {field!r}: {message}")


# --------------------------------------------------------------------------- shared normalizers

MODEL_TYPES = ("pretrained", "continuously-pretrained", "fine-tuned", "chat", "merge", "multimodal")

# Emoji and words used for model types by the v1 and v2 leaderboards (requests and contents table).
_MODEL_TYPE_SYMBOLS = {
    "🟢": "pretrained",
    "🟩": "continuously-pretrained",
    "🔶": "fine-tuned",
    "💬": "chat",
    "⭕": "chat",
    "🟦": "chat",
    "🤝": "merge",
    "🌸": "multimodal",
}
_MODEL_TYPE_WORDS = (  # checked in order against the label's text, lower-cased
    ("continuously pretrained", "continuously-pretrained"),
    ("continuously-pretrained", "continuously-pretrained"),
    ("pretrained", "pretrained"),
    ("fine-tuned", "fine-tuned"),
    ("finetuned", "fine-tuned"),
    ("chat", "chat"),
    ("instruction-tuned", "chat"),
    ("rl-tuned", "chat"),
    ("merge", "merge"),
    ("multimodal", "multimodal"),
)
# The contents table's "Type" labels (leaderboard v2, src/display/utils.py), for export.
CONTENTS_TYPE_LABELS = {
    "pretrained": "🟢 pretrained",
    "continuously-pretrained": "🟩 continuously pretrained",
    "fine-tuned": "🔶 fine-tuned on domain-specific datasets",
    "chat": "💬 chat models (RLHF, DPO, IFT, ...)",
    "merge": "🤝 base merges and moerges",
    "multimodal": "🌸 multimodal",
}


def normalize_model_type(label: str | None) -> str | None:
    """Map a leaderboard model-type label ("🔶 : fine-tuned", "💬 chat models (RLHF, DPO, IFT, ...)",
    "pretrained", "⭕ : instruction-tuned") to one of MODEL_TYPES; None for empty labels and for
    labels that are not model types (the leaderboard sometimes stored an architecture, e.g. "qwen2")."""
    if label is None:
        return None
    text = label.strip()
    if not text:
        return None
    words = text.lower()
    for symbol, kind in _MODEL_TYPE_SYMBOLS.items():
        if words.startswith(symbol):
            return kind
    for word, kind in _MODEL_TYPE_WORDS:
        if re.search(rf"(^|[^a-z-]){re.escape(word)}", words):
            return kind
    return None


PRECISIONS = ("float16", "bfloat16", "float32", "8bit", "4bit", "gguf", "GPTQ", "AWQ")
_PRECISION_ALIASES = {
    "float16": "float16",
    "fp16": "float16",
    "half": "float16",
    "f16": "float16",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
    "float32": "float32",
    "fp32": "float32",
    "float": "float32",
    "f32": "float32",
    "8bit": "8bit",
    "int8": "8bit",
    "load_in_8bit": "8bit",
    "4bit": "4bit",
    "int4": "4bit",
    "load_in_4bit": "4bit",
    "nf4": "4bit",
    "gguf": "gguf",
    "gptq": "GPTQ",
    "awq": "AWQ",
}


def normalize_precision(value: str | None) -> str | None:
    """``torch.bfloat16`` / ``bf16`` → ``bfloat16`` etc. (see PRECISIONS); unknown values are kept as given."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    key = text.lower().removeprefix("torch.")
    return _PRECISION_ALIASES.get(key, text)


def _number(value: Any) -> float | None:
    """A finite float, or None for anything else (" ", "N/A", None, booleans, NaN)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _parse_time(value: Any, path: str, name: str) -> datetime | None:
    """ISO 8601 text (``2024-06-09T21:55:05Z``, naive times taken as UTC) → aware UTC datetime;
    ``""`` and None → None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise FormatError(path, name, f'expected an ISO 8601 date-time string, null or "", got {value!r}')
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise FormatError(
            path, name, f"expected an ISO 8601 date-time such as 2024-06-09T21:55:05Z, got {value!r}"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _expect(
    data: dict, key: str, types: type | tuple[type, ...], path: str, what: str, required: bool = False
) -> Any:
    value = data.get(key)
    if value is None:
        if required:
            raise FormatError(path, key, f"missing; expected {what}")
        return None
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise FormatError(path, key, f"expected {what}, got {value!r}")
    if not isinstance(value, types):
        raise FormatError(path, key, f"expected {what}, got {type(value).__name__} {value!r}")
    return value


def loads(data: bytes | str):
    """Decode JSON: orjson (C, ~3x the stdlib's speed), or the stdlib for what orjson refuses but
    results files hold (NaN and Infinity, integers past 64 bits, text that is not UTF-8)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def _load_json(path: str | Path) -> dict:
    try:
        data = loads(Path(path).read_bytes())
    except json.JSONDecodeError as error:
        raise FormatError(path, "(file)", f"not valid JSON ({error}); expected a JSON object") from None
    if not isinstance(data, dict):
        raise FormatError(path, "(file)", f"expected a JSON object, got {type(data).__name__}")
    return data


# --------------------------------------------------------------------------- results files


class ScoreRow(NamedTuple):
    """One metric of one task under one filter. A named tuple: a results file has hundreds, and
    building tuples is several times cheaper than frozen dataclasses (they are pickled, too)."""

    task: str
    metric: str  # without filter, e.g. "acc_norm"
    filter: str  # e.g. "none", "strict-match"
    value: float
    stderr: float | None
    n_samples: int | None


@dataclass
class ParsedResults:
    source_file: str
    format: str  # "lm-eval" | "lighteval"
    model: str | None
    sha: str | None
    precision: str | None
    suite: str  # "leaderboard" | "offline" | "leaderboard_v1" | "other"
    evaluated_at: datetime | None
    lm_eval_version: str | None
    transformers_version: str | None
    chat_template: str | None
    fewshot_as_multiturn: bool | None
    num_fewshot: dict[str, int]
    scores: list[ScoreRow]
    n_choices: dict[str, int]
    group_subtasks: dict[str, list[str]]
    raw: dict = field(repr=False)
    git_hash: str | None = None  # lm-eval (or lighteval) commit, when the file names one

    def value(self, task: str, metric: str, filter: str = "none") -> float | None:
        for row in self.scores:
            if (row.task, row.metric, row.filter) == (task, metric, filter):
                return row.value
        return None


def split_metric_key(key: str) -> tuple[str, str, bool]:
    """``acc_norm_stderr,none`` → (``acc_norm``, ``none``, True); ``acc`` → (``acc``, ``none``, False)."""
    metric, _, filter_name = key.partition(",")
    filter_name = filter_name or "none"
    is_stderr = metric.endswith("_stderr")
    return metric.removesuffix("_stderr"), filter_name, is_stderr


_METRIC_KEYS: dict[str, tuple[str, str, bool] | None] = {}  # "acc_norm,none" → split once per process


def _split_key(key: Any) -> tuple[str, str, bool] | None:
    """``split_metric_key`` for a metrics block's key; None for keys that hold no score ("alias", " ")."""
    split = None if not isinstance(key, str) or key == "alias" or not key.strip() else split_metric_key(key)
    if len(_METRIC_KEYS) < 10_000:  # real files use a few hundred distinct keys
        _METRIC_KEYS[key] = split
    return split


def _score_rows(task: str, metrics: dict, n_samples: int | None) -> list[ScoreRow]:
    values: dict[tuple[str, str], float] = {}
    stderrs: dict[tuple[str, str], float | None] = {}
    isfinite = math.isfinite
    known = _METRIC_KEYS
    for key, raw_value in metrics.items():
        split = known[key] if key in known else _split_key(key)
        if split is None:
            continue
        metric, filter_name, is_stderr = split
        # floats (nearly every value) skip _number's type dispatch; same result
        number = (raw_value if isfinite(raw_value) else None) if type(raw_value) is float else _number(raw_value)
        if is_stderr:
            stderrs[(metric, filter_name)] = number
        elif number is not None:
            values[(metric, filter_name)] = number
    new = tuple.__new__
    get = stderrs.get
    return [
        new(ScoreRow, (task, key[0], key[1], value, get(key), n_samples)) for key, value in values.items()
    ]


_FILE_DATE = re.compile(r"results_(\d{4}-\d{2}-\d{2})T(\d{2})[-:](\d{2})[-:](\d{2})(\.\d+)?")


def _date_from_name(source_file: str) -> datetime | None:
    match = _FILE_DATE.search(Path(source_file).name)
    if not match:
        return None
    day, hours, minutes, seconds, fraction = match.groups()
    return datetime.fromisoformat(f"{day}T{hours}:{minutes}:{seconds}{fraction or ''}").replace(tzinfo=UTC)


_EPOCH_2000 = 946_684_800.0


def _epoch(value: Any) -> datetime | None:
    """A Unix time → UTC datetime. lm-eval's ``start_time`` is a monotonic clock (seconds since boot),
    not a date, so values before 2000 are refused."""
    number = _number(value)
    if number is None or number < _EPOCH_2000:
        return None
    return datetime.fromtimestamp(number, tz=UTC)


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


def _model_name(data: dict, config: dict, args: dict[str, str]) -> str | None:
    name = data.get("model_name") or args.get("pretrained") or args.get("model") or args.get("path")
    if not isinstance(name, str) or not name.strip():
        return None
    name = name.strip()
    looks_local = name.startswith(("/", "./", "../", "~")) or name.count("/") > 1 or "\\" in name
    return model_id_from_path(name) if looks_local else name


def _precision(config: dict, args: dict[str, str]) -> str | None:
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


def _infer_group_subtasks(tasks: list[str], leaves: set[str], groups_hint: set[str]) -> dict[str, list[str]]:
    """Group → direct subtasks from task names, for files without ``group_subtasks``. A group is a task
    that is no leaf (not in ``configs``, no scores of its own, or listed in ``groups``); its members are
    the tasks named ``<group>_*`` or, for ``<head>_<tail>`` groups like ``leaderboard_math_hard``,
    ``<head>_*_<tail>``."""
    candidates = [t for t in tasks if t in groups_hint or t not in leaves]

    def members(group: str) -> set[str]:
        found = {t for t in tasks if t != group and t.startswith(group + "_")}
        if not found and "_" in group:
            head, tail = group.rsplit("_", 1)
            found = {t for t in tasks if t != group and t.startswith(head + "_") and t.endswith("_" + tail)}
        return found

    descendants = {group: members(group) for group in candidates}
    result = {}
    for group, inside in descendants.items():
        nested = set().union(*(descendants[g] for g in inside if g in descendants)) if inside else set()
        direct = [t for t in tasks if t in inside and t not in nested]
        if direct:
            result[group] = direct
    return result


def _detect_suite(tasks: list[str]) -> str:
    counts = {
        "leaderboard": sum(t.startswith("leaderboard_") for t in tasks),
        "offline": sum(t.startswith("llmb_") for t in tasks),
    }
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else "other"


def parse_results(path_or_dict: str | Path | dict, source_file: str | None = None) -> ParsedResults:
    """Parse an lm-eval or lighteval results file (a path, or its already-loaded JSON object)."""
    if isinstance(path_or_dict, dict):
        data, source = path_or_dict, source_file or "<dict>"
    else:
        data, source = _load_json(path_or_dict), source_file or str(path_or_dict)
    results = data.get("results")
    if not isinstance(results, dict):
        raise FormatError(
            source,
            "results",
            "missing or not an object; expected lm-eval or lighteval results (an object of task → metrics)",
        )
    for task, metrics in results.items():
        if not isinstance(metrics, dict):
            raise FormatError(
                source, f"results.{task}", f"expected an object of metric → value, got {metrics!r}"
            )
    if "config_general" in data or any("|" in task for task in results):
        return _parse_lighteval(data, source)
    return _parse_lm_eval(data, source)


def _parse_lm_eval(data: dict, source: str) -> ParsedResults:
    results: dict = data["results"]
    config = _expect(data, "config", dict, source, "an object (lm-eval's run configuration)") or {}
    configs = _expect(data, "configs", dict, source, "an object of task → task configuration") or {}
    n_samples_raw = (
        _expect(data, "n-samples", dict, source, "an object of task → {original, effective}") or {}
    )
    groups = _expect(data, "groups", dict, source, "an object of group → metrics") or {}
    subtasks_raw = _expect(data, "group_subtasks", dict, source, "an object of group → list of tasks")
    n_shot = _expect(data, "n-shot", dict, source, "an object of task → number of few-shot examples") or {}

    n_samples: dict[str, int] = {}
    for task, counts in n_samples_raw.items():
        count = counts.get("effective", counts.get("original")) if isinstance(counts, dict) else counts
        if type(count) is int:  # nearly always: skip _number's checks
            n_samples[task] = count
            continue
        if _number(count) is None:
            raise FormatError(
                source, f"n-samples.{task}", f"expected {{'original': int, 'effective': int}}, got {counts!r}"
            )
        n_samples[task] = int(count)

    scores: list[ScoreRow] = []
    for task, metrics in results.items():
        scores.extend(_score_rows(task, metrics, n_samples.get(task)))
    seen = {row[:3] for row in scores} if groups else set()
    for task, metrics in groups.items():  # a group also listed under results keeps its results values
        if not isinstance(metrics, dict):
            raise FormatError(source, f"groups.{task}", f"expected an object of metric → value, got {metrics!r}")
        scores.extend(row for row in _score_rows(task, metrics, n_samples.get(task)) if row[:3] not in seen)

    tasks = list(dict.fromkeys([*results, *groups, *configs]))
    if subtasks_raw is not None:
        group_subtasks = {}
        for group, members in subtasks_raw.items():
            if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
                raise FormatError(
                    source, f"group_subtasks.{group}", f"expected a list of task names, got {members!r}"
                )
            if members:  # lm-eval >= 0.4.8 lists every task, leaves with []
                group_subtasks[group] = list(members)
    else:
        scored = {row.task for row in scores}
        leaves = set(configs) if configs else {t for t in scored if t not in groups}
        group_subtasks = _infer_group_subtasks(tasks, leaves, set(groups) | (set(tasks) - scored))

    n_choices = {}
    num_fewshot = {}
    for task, task_config in configs.items():  # only what scoring needs: choices, few-shot count
        if not isinstance(task_config, dict):
            raise FormatError(
                source, f"configs.{task}", f"expected an object, got {type(task_config).__name__}"
            )
        choices = task_config.get("doc_to_choice")
        if isinstance(choices, list):
            n_choices[task] = len(choices)
        shots = task_config.get("num_fewshot")
        if isinstance(shots, int):
            num_fewshot[task] = shots
    for task, shots in n_shot.items():
        if type(shots) is int:
            num_fewshot[task] = shots
            continue
        if _number(shots) is None:
            raise FormatError(source, f"n-shot.{task}", f"expected an integer, got {shots!r}")
        num_fewshot[task] = int(shots)

    for key in ("model_name", "chat_template", "transformers_version", "lm_eval_version", "git_hash"):
        _expect(data, key, str, source, "a string or null")
    _expect(data, "fewshot_as_multiturn", bool, source, "true, false or null")
    args = parse_model_args(config.get("model_args"))
    sha = (
        data.get("model_sha")
        or config.get("model_sha")
        or config.get("model_revision")
        or args.get("revision")
    )
    version = data.get("lm_eval_version")
    multiturn = data.get("fewshot_as_multiturn")
    chat_template = data.get("chat_template")
    return ParsedResults(
        source_file=source,
        format="lm-eval",
        model=_model_name(data, config, args),
        sha=str(sha) if sha else None,
        precision=_precision(config, args),
        suite=_detect_suite(tasks),
        evaluated_at=_epoch(data.get("date")) or _epoch(data.get("start_time")) or _date_from_name(source),
        lm_eval_version=str(version) if version else None,
        transformers_version=data.get("transformers_version") or None,
        chat_template=chat_template if isinstance(chat_template, str) and chat_template else None,
        fewshot_as_multiturn=multiturn if isinstance(multiturn, bool) else None,
        num_fewshot=num_fewshot,
        scores=scores,
        n_choices=n_choices,
        group_subtasks=group_subtasks,
        raw=data,
        git_hash=data.get("git_hash") or None,
    )


def _parse_lighteval(data: dict, source: str) -> ParsedResults:
    """The 2023 leaderboard's lighteval files: ``harness|arc:challenge|25`` keys, ``config_general``
    (or, in early files, ``config``) with model_name, model_sha and model_dtype."""
    general = (
        data.get("config_general") if isinstance(data.get("config_general"), dict) else data.get("config")
    )
    if not isinstance(general, dict):
        raise FormatError(
            source, "config_general", "missing; expected an object with model_name, model_sha, model_dtype"
        )
    scores: list[ScoreRow] = []
    num_fewshot: dict[str, int] = {}
    for key, metrics in data["results"].items():
        parts = key.split("|")
        if len(parts) == 3:
            task = parts[1]
            if parts[2].isdigit():
                num_fewshot[task] = int(parts[2])
        elif len(parts) == 1:
            task = key  # "all"
        else:
            raise FormatError(
                source, f"results.{key}", "expected a key like 'harness|arc:challenge|25' or 'all'"
            )
        # summary_tasks counts requests (documents × choices), not documents: no n_samples for v1.
        scores.extend(_score_rows(task, metrics, None))
    tasks = list(dict.fromkeys(row.task for row in scores))
    prefixes: dict[str, list[str]] = {}
    for task in tasks:
        if "-" in task:
            prefixes.setdefault(task.split("-", 1)[0], []).append(task)
    sha = general.get("model_sha")
    return ParsedResults(
        source_file=source,
        format="lighteval",
        model=general.get("model_name") or None,
        sha=str(sha) if sha else None,
        precision=normalize_precision(general.get("model_dtype")),
        suite="leaderboard_v1",
        evaluated_at=_date_from_name(source),
        lm_eval_version=None,
        transformers_version=None,
        chat_template=None,
        fewshot_as_multiturn=None,
        num_fewshot=num_fewshot,
        scores=scores,
        n_choices={},
        group_subtasks={group: members for group, members in prefixes.items() if len(members) > 1},
        raw=data,
        git_hash=general.get("lighteval_sha") or None,
    )


# --------------------------------------------------------------------------- request files


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
    model_type: str | None  # one of MODEL_TYPES, or None
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


_REQUEST_NAME = re.compile(
    r"^(?P<model>.+)_eval_request_(?P<private>True|False)_(?P<precision>[^_]+)_(?P<weight>[^_]+)\.json$"
)
_DATASET_REVISION = re.compile(r"^([0-9a-f]{40}|refs_pr_\d+|main)$")


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


def _text(data: dict, key: str, path: str) -> str | None:
    value = _expect(data, key, str, path, "a string or null")
    if value is None:
        return None
    return value.strip() or None


def parse_request(path: str | Path) -> ParsedRequest:
    """Parse a leaderboard request file (v1 or v2 shape)."""
    path = Path(path)
    source = str(path)
    data = _load_json(path)
    name_match = _REQUEST_NAME.match(path.name)
    from_name = name_match.groupdict() if name_match else {}

    model = _expect(data, "model", str, source, "the model id as 'org/name'", required=True).strip()
    if not model:
        raise FormatError(source, "model", "empty; expected the model id as 'org/name'")

    precision = _text(data, "precision", source)
    if precision is None and from_name.get("precision") not in (None, "False"):
        precision = from_name["precision"]
    weight_type = _text(data, "weight_type", source)
    if weight_type is None and from_name.get("weight") not in (None, "False"):
        weight_type = from_name["weight"]

    private = _expect(data, "private", bool, source, "true or false")
    if private is None:
        private = from_name.get("private") == "True"

    job_id = _expect(data, "job_id", (str, int), source, "a job id (string or integer; -1 for none)")
    if job_id is not None:
        job_id = str(job_id).strip()
        job_id = None if job_id in ("", "-1") else job_id

    params = data.get("params")
    if params is not None and _number(params) is None:
        raise FormatError(
            source, "params", f"expected a number of parameters in billions or null, got {params!r}"
        )
    likes = _expect(data, "likes", int, source, "an integer")
    use_chat_template = _expect(data, "use_chat_template", bool, source, "true or false")
    status = _text(data, "status", source)
    architectures = data.get("architectures")
    if isinstance(architectures, list):
        architectures = ",".join(str(a) for a in architectures)
    elif architectures is not None and not isinstance(architectures, str):
        raise FormatError(
            source, "architectures", f"expected a string or a list of strings, got {architectures!r}"
        )
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
        submitted_time=_parse_time(data.get("submitted_time"), source, "submitted_time"),
        model_type=normalize_model_type(model_type_raw),
        model_type_raw=model_type_raw,
        job_id=job_id,
        job_start_time=_parse_time(data.get("job_start_time"), source, "job_start_time"),
        use_chat_template=bool(use_chat_template),
        sender=_text(data, "sender", source),
        params_b=_number(params),
        architectures=architectures or None,
        license=_text(data, "license", source),
        likes=likes,
        private=private,
        raw=data,
        format="v2" if "use_chat_template" in data else "v1",
        dataset=dataset,
        dataset_revision=dataset_revision,
    )


# --------------------------------------------------------------------------- contents table

BENCHMARK_COLUMNS = {  # our benchmark key → the table's column label (its "Raw" column adds " Raw")
    "ifeval": "IFEval",
    "bbh": "BBH",
    "math": "MATH Lvl 5",
    "gpqa": "GPQA",
    "musr": "MUSR",
    "mmlu_pro": "MMLU-PRO",
}

# The published table's columns, in order: real name → our column (None: derived on export, never read).
CONTENTS_COLUMNS: dict[str, str | None] = {
    "eval_name": "eval_name",
    "Precision": "precision",
    "Type": "model_type",
    "T": None,  # the Type's emoji
    "Weight type": "weight_type",
    "Architecture": "architecture",
    "Model": None,  # an HTML link built from fullname
    "fullname": "model",
    "Model sha": "sha",
    "Average ⬆️": "average",
    "Hub License": "license",
    "Hub ❤️": "hub_hearts",
    "#Params (B)": "params_b",
    "Available on the hub": "available_on_hub",
    "MoE": "moe",
    "Flagged": "flagged",
    "Chat Template": "chat_template",
    "CO₂ cost (kg)": "co2_kg",
    **{
        f"{label}{suffix}": f"{key}{our}"
        for key, label in BENCHMARK_COLUMNS.items()
        for suffix, our in ((" Raw", "_raw"), ("", ""))
    },
    "Merged": "merged",
    "Official Providers": "official",
    "Upload To Hub Date": "upload_date",
    "Submission Date": "submission_date",
    "Generation": "generation",
    "Base Model": "base_model",
}
_CONTENTS_ALIASES = {"Maintainer's Highlight": "Official Providers"}  # an older snapshot's name
_REQUIRED_CONTENTS = (
    "fullname",
    "Precision",
    "Average ⬆️",
    *(c for c, ours in CONTENTS_COLUMNS.items() if ours and ours.split("_raw")[0] in BENCHMARK_COLUMNS),
)
_FLOAT_COLUMNS = {
    "average",
    "params_b",
    "co2_kg",
    *(f"{k}{s}" for k in BENCHMARK_COLUMNS for s in ("", "_raw")),
}
_INT_COLUMNS = {"hub_hearts", "generation"}
_BOOL_COLUMNS = {"available_on_hub", "moe", "flagged", "merged", "official", "chat_template"}
_DATE_COLUMNS = {"upload_date", "submission_date"}
CONTENTS_SCHEMA: dict[str, Any] = {
    ours: (
        pl.Float64
        if ours in _FLOAT_COLUMNS
        else pl.Int64
        if ours in _INT_COLUMNS
        else pl.Boolean
        if ours in _BOOL_COLUMNS
        else pl.Date
        if ours in _DATE_COLUMNS
        else pl.String
    )
    for ours in CONTENTS_COLUMNS.values()
    if ours
}
_LINK_STYLE = "color: var(--link-text-color); text-decoration: underline;text-decoration-style: dotted;"


def _convert(frame: pl.DataFrame, real: str, ours: str, path: str) -> pl.Series:
    column = frame[real]
    target = CONTENTS_SCHEMA[ours]
    if column.dtype == pl.Null:
        return pl.Series(ours, [None] * frame.height, dtype=target)
    if column.dtype == target:
        return column.alias(ours)
    if column.dtype == pl.String:
        stripped = column.str.strip_chars()
        empty = stripped.is_in(["", "nan", "NaN", "None", "null"])
        text = stripped.zip_with(~empty, pl.Series([None] * frame.height, dtype=pl.String)).alias(ours)
    else:
        text = column.alias(ours)
    if target == pl.Boolean and text.dtype == pl.String:
        lowered = text.str.to_lowercase()
        converted = lowered.replace_strict(
            {"true": True, "false": False, "1": True, "0": False}, default=None, return_dtype=pl.Boolean
        )
    elif target == pl.Date and text.dtype == pl.String:
        converted = text.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    elif target == pl.Date:
        converted = text.cast(pl.Date, strict=False)
    elif target == pl.Int64 and text.dtype == pl.String:
        converted = text.cast(pl.Float64, strict=False).cast(pl.Int64, strict=False)
    else:
        converted = text.cast(target, strict=False)
    bad = text.is_not_null() & converted.is_null()
    if bad.any():
        example = text.filter(bad)[0]
        kind = {
            pl.Float64: "a number",
            pl.Int64: "an integer",
            pl.Boolean: "True or False",
            pl.Date: "a date YYYY-MM-DD",
        }.get(target, "text")
        raise FormatError(path, real, f"expected {kind} or empty, got {example!r}")
    return converted.alias(ours)


def read_contents(path: str | Path) -> pl.DataFrame:
    """Read the leaderboard's ``contents`` table (``.csv`` or ``.parquet``) into our snake_case columns
    (see CONTENTS_SCHEMA). ``model`` comes from ``fullname``; the ``Model`` HTML link is never read."""
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pl.read_csv(path, infer_schema_length=0)
        elif suffix in (".parquet", ".pq"):
            frame = pl.read_parquet(path)
        else:
            raise FormatError(
                source, "(file)", "unknown extension; expected a .csv or .parquet contents table"
            )
    except (pl.exceptions.ComputeError, OSError) as error:
        raise FormatError(source, "(file)", f"cannot be read as {suffix[1:]} ({error})") from None
    frame = frame.rename({old: new for old, new in _CONTENTS_ALIASES.items() if old in frame.columns})
    missing = [name for name in _REQUIRED_CONTENTS if name not in frame.columns]
    if missing:
        raise FormatError(
            source, missing[0], f"column missing; a contents table needs {', '.join(_REQUIRED_CONTENTS)}"
        )
    columns = []
    for real, ours in CONTENTS_COLUMNS.items():
        if ours is None:
            continue
        if real in frame.columns:
            columns.append(_convert(frame, real, ours, source))
        else:
            columns.append(pl.Series(ours, [None] * frame.height, dtype=CONTENTS_SCHEMA[ours]))
    result = pl.DataFrame(columns)
    return result.with_columns(
        pl.col("model_type").map_elements(normalize_model_type, return_dtype=pl.String),
        pl.col("precision").map_elements(normalize_precision, return_dtype=pl.String),
    )


def _model_link(model: str) -> str:
    details = model.replace("/", "__")
    return (
        f'<a target="_blank" href="https://huggingface.co/{model}" style="{_LINK_STYLE}">{model}</a>'
        f'  <a target="_blank" href="https://huggingface.co/datasets/open-llm-leaderboard/{details}-details"'
        f' style="{_LINK_STYLE}">📑</a>'
    )


def to_contents(frame: pl.DataFrame) -> pl.DataFrame:
    """The inverse of ``read_contents``: our columns → the published table's exact columns, in order.
    ``eval_name`` (when absent), ``Type``, ``T`` and the ``Model`` link are derived; dates become text."""
    missing = [ours for ours in CONTENTS_SCHEMA if ours not in frame.columns and ours != "eval_name"]
    if missing:
        raise FormatError(
            "<dataframe>", missing[0], f"column missing; to_contents needs {', '.join(CONTENTS_SCHEMA)}"
        )
    frame = frame.with_columns(
        (pl.col("eval_name") if "eval_name" in frame.columns else pl.lit(None, dtype=pl.String))
        .fill_null(pl.col("model").str.replace_all("/", "_", literal=True) + "_" + pl.col("precision"))
        .alias("eval_name"),
        pl.col("model_type")
        .replace_strict(CONTENTS_TYPE_LABELS, default=None, return_dtype=pl.String)
        .alias("Type"),
        pl.col("model_type")
        .replace_strict(CONTENTS_TYPE_LABELS, default=None, return_dtype=pl.String)
        .str.split(" ")
        .list.first()
        .alias("T"),
        pl.col("model").map_elements(_model_link, return_dtype=pl.String).alias("Model"),
        *(pl.col(ours).dt.strftime("%Y-%m-%d") for ours in _DATE_COLUMNS),
    )
    return frame.select(
        pl.col(real if ours is None else "Type" if ours == "model_type" else ours).alias(real)
        for real, ours in CONTENTS_COLUMNS.items()
    )
