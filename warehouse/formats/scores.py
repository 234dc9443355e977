"""What a results file parses into (ParsedResults, one ScoreRow per task, metric and filter), and what
both results readers share: a metrics block turned into rows, its keys (``acc_norm,none``) split once,
and the date in a results file's name."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain, repeat
from operator import itemgetter
from pathlib import Path
from types import NoneType
from typing import Any, NamedTuple

from warehouse.formats.common import FormatError, all_of_type, finite_number, shown


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


def score_rows(task: str, metrics: dict, n_samples: int | None, source: str, field: str) -> list[ScoreRow]:
    """One task's metrics block (``{"acc_norm,none": 0.5, "acc_norm_stderr,none": 0.01, "alias": ...}``)
    → one row per metric and filter that has a finite value, with its stderr when the block has one.
    NaN, Infinity, "N/A" and null (which harnesses write) are skipped; an integer past a float's range
    (which none writes) is a FormatError naming ``source`` and ``field`` (the block, ``results.<task>``)."""
    keys = tuple(metrics)
    plan = _PLANS[keys] if keys in _PLANS else _plan(keys)
    if plan is None:
        return _rows_key_by_key(task, metrics, n_samples, source, field)
    rows = []
    append, new, isfinite = rows.append, tuple.__new__, math.isfinite
    for metric, filter_name, value_key, stderr_key in plan:
        # floats (nearly every value) skip finite_number's type dispatch; same result
        value = metrics[value_key]
        value = (value if isfinite(value) else None) if type(value) is float else _number(value, value_key,
                                                                                           source, field)
        stderr = None
        if stderr_key is not None:
            stderr = metrics[stderr_key]
            stderr = (stderr if isfinite(stderr) else None) if type(stderr) is float else _number(
                stderr, stderr_key, source, field)
        if value is not None:
            append(new(ScoreRow, (task, metric, filter_name, value, stderr, n_samples)))
    return rows


def section_rows(section: dict, n_samples: dict[str, int], source: str, name: str) -> list[ScoreRow]:
    """``score_rows`` of each block of a section of task → metrics block (lm-eval's ``results`` or ``groups``,
    named ``name``). FormatError for a block that is no object."""
    rows = _planned_rows(section, n_samples) if all_of_type(section.values(), dict) else None
    if rows is not None:  # nearly always
        return rows
    rows = []
    for task, metrics in section.items():
        if not isinstance(metrics, dict):
            raise FormatError(source, f"{name}.{task}", f"expected an object of metric → value, got {shown(metrics)}")
        rows += score_rows(task, metrics, n_samples.get(task), source, f"{name}.{task}")
    return rows


Plan = tuple[tuple[str, str, str, str | None], ...]  # (metric, filter, value key, stderr key or None)
_PLANS: dict[tuple, Plan | None] = {}  # a metrics block's keys → how to read it; real files repeat a few dozen


def _plan(keys: tuple) -> Plan | None:
    """How to read a block with these keys: each metric and filter's value key and stderr key, in the block's
    order; None where a metric and filter has two value or stderr keys (``acc`` and ``acc,none``) or a stderr
    without a value, which ``_rows_key_by_key`` reads as the keys come."""
    value_keys: dict[tuple[str, str], str] = {}
    stderr_keys: dict[tuple[str, str], str] = {}
    plan: Plan | None = None
    for key in keys:
        split = _METRIC_KEYS[key] if key in _METRIC_KEYS else _split_key(key)
        if split is None:
            continue
        metric, filter_name, is_stderr = split
        found = stderr_keys if is_stderr else value_keys
        if (metric, filter_name) in found:
            break
        found[(metric, filter_name)] = key
    else:
        if all(pair in value_keys for pair in stderr_keys):
            plan = tuple((*pair, key, stderr_keys.get(pair)) for pair, key in value_keys.items())
    if len(_PLANS) < 10_000:
        _PLANS[keys] = plan
    return plan


class _SectionPlan(NamedTuple):
    """How to read in one go a section whose blocks have some keys, in order: each row's task (from the
    section's names), value and stderr (from all the blocks' values in a row, then a None for rows without a
    stderr), metric and filter."""

    tasks: itemgetter
    values: itemgetter
    stderrs: itemgetter
    metrics: tuple[str, ...]
    filters: tuple[str, ...]


_SECTION_PLANS: dict[tuple, _SectionPlan | None] = {}  # the blocks' keys → how to read them; files repeat a few
_NOT_AVAILABLE = {"N/A": None}  # lm-eval's stderr where it has none
_FLOAT = frozenset({float})
_FLOAT_OR_NONE = frozenset({float, NoneType})


def _planned_rows(section: dict[Any, dict], n_samples: dict[str, int]) -> list[ScoreRow] | None:
    """``section_rows``' rows read without a Python loop, for a section whose blocks' keys have a plan and
    whose values are all finite floats (stderrs too, or "N/A" or null); None for any other, read block by block."""
    shape = tuple(map(tuple, section.values()))
    plan = _SECTION_PLANS.get(shape, _UNKNOWN)
    if plan is _UNKNOWN:
        plan = _section_plan(shape)
    if plan is None:
        return None
    every = [*chain.from_iterable(map(dict.values, section.values())), None]
    values, stderrs = plan.values(every), plan.stderrs(every)
    try:
        stderrs = tuple(map(_NOT_AVAILABLE.get, stderrs, stderrs))
    except TypeError:  # an unhashable stderr (a list)
        return None
    # a sum is finite only if every term is (one that overflows is read block by block)
    if not (set(map(type, values)) <= _FLOAT and set(map(type, stderrs)) <= _FLOAT_OR_NONE
            and math.isfinite(sum(values) + sum(filter(None, stderrs)))):
        return None
    tasks = plan.tasks(tuple(section))
    rows = zip(tasks, plan.metrics, plan.filters, values, stderrs, map(n_samples.get, tasks), strict=True)
    return list(map(tuple.__new__, repeat(ScoreRow), rows))


_UNKNOWN: Any = object()


def _section_plan(shape: tuple[tuple, ...]) -> _SectionPlan | None:
    """The plan for a section whose blocks have these keys: each block's ``_plan``, its keys placed among all
    the blocks' values; None where a block has none, or for fewer than two rows (an itemgetter of one place
    returns no tuple)."""
    tasks: list[int] = []
    values: list[int] = []
    stderrs: list[int] = []
    metrics: list[str] = []
    filters: list[str] = []
    start = 0
    section_plan = None
    for position, keys in enumerate(shape):
        plan = _PLANS[keys] if keys in _PLANS else _plan(keys)
        if plan is None:
            break
        place = {key: start + offset for offset, key in enumerate(keys)}
        for metric, filter_name, value_key, stderr_key in plan:
            tasks.append(position)
            values.append(place[value_key])
            stderrs.append(-1 if stderr_key is None else place[stderr_key])
            metrics.append(metric)
            filters.append(filter_name)
        start += len(keys)
    else:
        if len(tasks) >= 2:
            section_plan = _SectionPlan(itemgetter(*tasks), itemgetter(*values), itemgetter(*stderrs),
                                        tuple(metrics), tuple(filters))
    if len(_SECTION_PLANS) < 1_000:  # a key holds every key of a section
        _SECTION_PLANS[shape] = section_plan
    return section_plan


def _number(value: Any, key: str, source: str, field: str) -> float | None:
    """``finite_number`` of a metrics block's value; FormatError for an integer past a float's range."""
    if type(value) is str and value == "N/A":  # lm-eval's stderr where it has none: None, without float()'s error
        return None
    number = finite_number(value)
    if number is None and type(value) is int:
        raise FormatError(source, field, f"{shown(key, 60)}: expected a finite number, got an integer past a "
                                         "float's range (about ±1.8e308)")
    return number


def _rows_key_by_key(task: str, metrics: dict, n_samples: int | None, source: str, field: str) -> list[ScoreRow]:
    """``score_rows`` for any block: a later key of the same metric and filter wins (a value only if finite)."""
    values: dict[tuple[str, str], float] = {}
    stderrs: dict[tuple[str, str], float | None] = {}
    isfinite = math.isfinite
    known = _METRIC_KEYS
    for key, raw_value in metrics.items():
        split = known[key] if key in known else _split_key(key)
        if split is None:
            continue
        metric, filter_name, is_stderr = split
        number = (
            (raw_value if isfinite(raw_value) else None)
            if type(raw_value) is float
            else _number(raw_value, key, source, field)
        )
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


def date_from_name(source_file: str) -> datetime | None:
    """``results_2024-06-17T14-37-59.603167.json`` → that moment in UTC; None for other names."""
    match = _FILE_DATE.search(Path(source_file).name)
    if not match:
        return None
    day, hours, minutes, seconds, fraction = match.groups()
    return datetime.fromisoformat(f"{day}T{hours}:{minutes}:{seconds}{fraction or ''}").replace(tzinfo=UTC)
