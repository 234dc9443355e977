"""Scores a parsed results file against a suite, by the Open LLM Leaderboard's published method.

``normalize(raw, baseline) = max(0, raw - baseline) / (1 - baseline) * 100``, applied per benchmark
rule (see ``core.benchmarks``):

- ``mean_of_metrics`` (IFEval): the mean of the metrics of one task, normalized with ``baseline`` (0).
- ``subtask_mean`` (BBH, MuSR): each subtask normalized with its own baseline (declared, else
  1 / number of choices), then the unweighted mean. Its raw value is the unweighted mean of raw values.
- ``group`` (GPQA, MMLU-Pro, MATH): the group's stored value, or where the file has none the
  sample-weighted mean of its subtasks, normalized with ``baseline``.
- ``raw`` (v1): the task's metric (or the unweighted mean of its ``<task>-*`` subtasks, MMLU) times 100.

The average is the plain mean of the suite's benchmarks, None when one is missing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple

from core.benchmarks import Benchmark, Suite
from warehouse.formats import FormatError, ParsedResults, ScoreRow

RowKey = tuple[str, str, str]  # (task, metric, filter)

# Which filter a metric is read under when a task reports several: lm-eval's default ("none") first,
# then the usual answer-extraction filters of generation tasks.
FILTER_PREFERENCE = ("none", "strict-match", "get-answer", "remove_whitespace", "flexible-extract")


def normalize(raw: float, baseline: float = 0.0) -> float:
    """The leaderboard's normalization: 0 at the random baseline, 100 at a perfect score."""
    return max(0.0, raw - baseline) / (1.0 - baseline) * 100.0


@dataclass
class BenchmarkScore:
    key: str
    raw: float | None  # 0..1, as the contents table's "Raw" columns
    normalized: float | None  # 0..100
    tasks: list[str]  # the tasks read
    missing: str | None = None  # why the score is None


@dataclass
class RunScores:
    suite: str
    benchmarks: dict[str, BenchmarkScore]
    raw: dict[str, float | None]
    normalized: dict[str, float | None]
    average: float | None
    normalized_by_row: dict[RowKey, float | None]
    # group values the file lacked, rebuilt from subtasks (sample-weighted); to be stored like any row
    aggregate_rows: list[ScoreRow] = field(default_factory=list)


class _Rows:
    """The parsed scores indexed by task and metric, with the filter chosen once per task/metric. The index of
    filters and the list of tasks are built on first use: most files are scored on the "none" filter alone."""

    def __init__(self, parsed: ParsedResults, keys: list[RowKey]):
        self.source = parsed.source_file
        self.scores = parsed.scores
        self.by_key: dict[RowKey, ScoreRow] = dict(zip(keys, parsed.scores, strict=True))  # keys: the rows' keys
        self._filters: dict[tuple[str, str], list[str]] | None = None
        self._tasks: list[str] | None = None

    @property
    def filters(self) -> dict[tuple[str, str], list[str]]:
        """(task, metric) → its filters, in file order."""
        if self._filters is None:
            self._filters = {}
            setdefault = self._filters.setdefault
            for row in self.scores:
                setdefault(row[:2], []).append(row[2])
        return self._filters

    @property
    def tasks(self) -> list[str]:
        """The tasks with scores, in file order."""
        if self._tasks is None:
            self._tasks = list(dict.fromkeys(r[0] for r in self.scores))
        return self._tasks

    def get(self, task: str, metric: str, preferred: str | None = None) -> ScoreRow | None:
        """The row a benchmark is scored on; FormatError when its value is no share from 0 to 1 (every
        scored metric is an accuracy or a match rate)."""
        row = self.chosen(task, metric, preferred)
        if row is not None and not 0.0 <= row.value <= 1.0:
            raise FormatError(self.source, f"results.{task}", f"{metric},{row.filter}: expected a share from 0 "
                                                              f"to 1, got {row.value!r}")
        return row

    def chosen(self, task: str, metric: str, preferred: str | None = None) -> ScoreRow | None:
        """``get``'s row, unchecked."""
        row = None if preferred else self.by_key.get((task, metric, "none"))  # "none" comes first, if any
        if row is None:
            filters = self.filters.get((task, metric))
            if not filters:
                return None
            if len(filters) == 1:  # nearly always: one filter per task and metric
                row = self.by_key[(task, metric, filters[0])]
            else:
                order = ((preferred,) if preferred else ()) + FILTER_PREFERENCE
                chosen = next((f for f in order if f in filters), None)
                row = self.by_key[(task, metric, chosen if chosen is not None else min(filters))]
        return row


_ROW_KEY = itemgetter(0, 1, 2)  # a ScoreRow's (task, metric, filter)


def _leaves(group: str, parsed: ParsedResults, seen: frozenset[str] = frozenset()) -> list[str]:
    """The leaf tasks under a group, following nested groups."""
    leaves: list[str] = []
    for task in parsed.group_subtasks.get(group, []):
        if task in parsed.group_subtasks and task not in seen:
            leaves.extend(_leaves(task, parsed, seen | {group}))
        else:
            leaves.append(task)
    return leaves


def _subtasks(benchmark: Benchmark, parsed: ParsedResults, rows: _Rows, separators: str = "_") -> list[str]:
    if benchmark.subtasks:
        return list(benchmark.subtasks)
    if benchmark.task in parsed.group_subtasks:
        return _leaves(benchmark.task, parsed)
    prefixes = tuple(benchmark.task + s for s in separators)
    return [t for t in rows.tasks if t != benchmark.task and t.startswith(prefixes)]


def _baseline(benchmark: Benchmark, task: str, parsed: ParsedResults) -> float | None:
    """The chance level a subtask is normalized against: declared, else 1 / its number of choices; None when
    its ``doc_to_choice`` is no list (a template). FormatError for a list of fewer than 2 choices: chance
    would be certainty, and normalizing against it divides by zero."""
    if task in benchmark.baselines:
        return benchmark.baselines[task]
    choices = parsed.n_choices.get(task)
    if choices is None:
        return None
    if choices < 2:
        raise FormatError(parsed.source_file, f"configs.{task}.doc_to_choice",
                          f"a list of {choices} choice{'' if choices == 1 else 's'}; expected at least 2 (the "
                          f"score of {task} is normalized against chance, 1 / number of choices)")
    return 1.0 / choices


def _score_benchmark(
    benchmark: Benchmark, parsed: ParsedResults, rows: _Rows, by_row: dict[RowKey, float | None]
) -> tuple[BenchmarkScore, list[ScoreRow]]:
    preferred = getattr(benchmark, "filter", None)  # a Benchmark may one day declare its filter
    metric = benchmark.metrics[0]

    def fail(reason: str, tasks: list[str] | None = None) -> tuple[BenchmarkScore, list[ScoreRow]]:
        return BenchmarkScore(benchmark.key, None, None, tasks or [benchmark.task], reason), []

    if benchmark.rule == "mean_of_metrics":
        found = [rows.get(benchmark.task, m, preferred) for m in benchmark.metrics]
        if any(row is None for row in found):
            absent = [m for m, row in zip(benchmark.metrics, found, strict=True) if row is None]
            return fail(f"{benchmark.task} has no {', '.join(absent)}")
        values = [row.value for row in found if row]
        for row in found:
            if row:
                by_row[(row.task, row.metric, row.filter)] = normalize(row.value, benchmark.baseline)
        raw = sum(values) / len(values)
        return BenchmarkScore(benchmark.key, raw, normalize(raw, benchmark.baseline), [benchmark.task]), []

    if benchmark.rule == "subtask_mean":
        subtasks = _subtasks(benchmark, parsed, rows)
        if not subtasks:
            return fail(f"no subtasks of {benchmark.task} in the file")
        raws, normalized = [], []
        for task in subtasks:
            row = rows.get(task, metric, preferred)
            if row is None:
                return fail(f"{task} has no {metric}", subtasks)
            baseline = _baseline(benchmark, task, parsed)
            if baseline is None:
                return fail(
                    f"no baseline for {task}: not declared and its doc_to_choice is no list", subtasks
                )
            score = normalize(row.value, baseline)
            by_row[(row.task, row.metric, row.filter)] = score
            raws.append(row.value)
            normalized.append(score)
        return BenchmarkScore(
            benchmark.key, sum(raws) / len(raws), sum(normalized) / len(normalized), subtasks
        ), []

    if benchmark.rule == "group":
        aggregates: list[ScoreRow] = []
        subtasks = _subtasks(benchmark, parsed, rows)
        for task in subtasks:
            row = rows.get(task, metric, preferred)
            if row:
                by_row[(row.task, row.metric, row.filter)] = normalize(row.value, benchmark.baseline)
        group_row = rows.get(benchmark.task, metric, preferred)
        if group_row is None:
            found = [rows.get(task, metric, preferred) for task in subtasks]
            if not subtasks or any(row is None for row in found):
                return fail(f"{benchmark.task} has no {metric} and its subtasks cannot rebuild it", subtasks)
            if any(row.n_samples is None for row in found if row):
                return fail(
                    f"{benchmark.task} has no {metric} and n-samples is missing for its subtasks", subtasks
                )
            total = sum(row.n_samples for row in found if row and row.n_samples)
            if not total:
                return fail(f"{benchmark.task} has no {metric} and n-samples is 0 for all its subtasks", subtasks)
            value = sum(row.value * row.n_samples for row in found if row and row.n_samples) / total
            filters = {row.filter for row in found if row}
            group_row = ScoreRow(
                benchmark.task, metric, filters.pop() if len(filters) == 1 else "none", value, None, total
            )
            aggregates.append(group_row)
        score = normalize(group_row.value, benchmark.baseline)
        by_row[(group_row.task, group_row.metric, group_row.filter)] = score
        return BenchmarkScore(benchmark.key, group_row.value, score, [benchmark.task, *subtasks]), aggregates

    if benchmark.rule == "raw":
        row = rows.get(benchmark.task, metric, preferred)
        if row is not None:
            score = normalize(row.value, benchmark.baseline)
            by_row[(row.task, row.metric, row.filter)] = score
            return BenchmarkScore(benchmark.key, row.value, score, [benchmark.task]), []
        subtasks = _subtasks(benchmark, parsed, rows, separators="-_")
        found = [rows.get(task, metric, preferred) for task in subtasks]
        if not subtasks or any(r is None for r in found):
            return fail(f"{benchmark.task} has no {metric}", subtasks)
        for r in found:
            if r:
                by_row[(r.task, r.metric, r.filter)] = normalize(r.value, benchmark.baseline)
        raw = sum(r.value for r in found if r) / len(found)
        return BenchmarkScore(benchmark.key, raw, normalize(raw, benchmark.baseline), subtasks), []

    raise ValueError(
        f"benchmark {benchmark.key!r} has unknown rule {benchmark.rule!r}: "
        "accepted rules are mean_of_metrics, subtask_mean, group, raw"
    )


def score_run(parsed: ParsedResults, suite: Suite) -> RunScores:
    """Score one parsed run against a suite's benchmarks."""
    keys = list(map(_ROW_KEY, parsed.scores))
    aggregates: list[ScoreRow] = []
    plan = _plan_of(parsed, suite, keys)
    # every row's key, in the rows' order, then the rebuilt group rows' (run_rows relies on this order)
    by_row: dict[RowKey, float | None] = dict.fromkeys(keys)
    benchmarks = _scored_by_plan(plan, parsed.scores, by_row) if plan is not None else None
    if benchmarks is None:  # no plan for runs of this shape, or a value no share: benchmark by benchmark
        rows = _Rows(parsed, keys)
        benchmarks = {}
        for benchmark in suite.benchmarks:
            score, rebuilt = _score_benchmark(benchmark, parsed, rows, by_row)
            benchmarks[benchmark.key] = score
            aggregates.extend(rebuilt)
    normalized = {key: score.normalized for key, score in benchmarks.items()}
    values = [v for v in normalized.values() if v is not None]
    complete = bool(values) and len(values) == len(normalized)
    return RunScores(
        suite=suite.name,
        benchmarks=benchmarks,
        raw={key: score.raw for key, score in benchmarks.items()},
        normalized=normalized,
        average=sum(values) / len(values) if complete else None,
        normalized_by_row=by_row,
        aggregate_rows=aggregates,
    )


class _BenchmarkPlan(NamedTuple):
    """How ``_score_benchmark`` scores one benchmark of a run of some shape, when every row it reads is a share
    and it fails on none: where its rows lie among the plan's and the tasks it reads."""

    benchmark: Benchmark
    start: int
    end: int
    tasks: tuple[str, ...]


class _Plan(NamedTuple):
    """The rows every benchmark normalizes, in the benchmarks' order: each row's place among the run's rows,
    key, baseline and 1 - baseline."""

    suite: Suite  # held, so that the id in the plan's key stays this suite's
    benchmarks: tuple[_BenchmarkPlan, ...]
    rows: itemgetter
    keys: tuple[RowKey, ...]
    baselines: tuple[float, ...]
    spans: tuple[float, ...]


_RUN_PLANS: dict[tuple, _Plan | None] = {}  # a run's shape → how it is scored (None: as _score_benchmark does)
_PLANNED_RULES = ("mean_of_metrics", "subtask_mean", "group")


def _plan_of(parsed: ParsedResults, suite: Suite, keys: list[RowKey]) -> _Plan | None:
    """The plan for runs of this shape: the suite, every row's (task, metric, filter) in order (which decide
    the rows chosen and the tasks found by name), the groups' subtasks and the numbers of choices (which decide
    the subtasks and their baselines); None where a benchmark fails, rebuilds a group value or has another rule."""
    try:
        key = (id(suite), tuple(keys), tuple((g, tuple(m)) for g, m in parsed.group_subtasks.items()),
               tuple(parsed.n_choices.items()))
        known = _RUN_PLANS.get(key, _UNKNOWN)
    except TypeError:  # something unhashable, where a hand-made ParsedResults holds it
        return None
    if known is _UNKNOWN or (known is not None and known.suite is not suite):
        try:
            known = _new_plan(parsed, suite, keys)
        except Exception:  # e.g. a subtask's baseline (FormatError): _score_benchmark meets it again and raises
            known = None
        if len(_RUN_PLANS) < 1_000:  # runs of a suite come in a few shapes; a key holds every row's key
            _RUN_PLANS[key] = known
    return known


_UNKNOWN = object()


def _new_plan(parsed: ParsedResults, suite: Suite, keys: list[RowKey]) -> _Plan | None:
    """``_score_benchmark``'s choices for each benchmark, made without reading a value; None also for fewer than
    two rows read (an itemgetter of one place returns no tuple)."""
    rows = _Rows(parsed, keys)
    place = {key: position for position, key in enumerate(keys)}  # the last row of a key, as rows.by_key's
    planned = []
    found_rows: list[ScoreRow] = []
    all_baselines: list[float] = []
    for benchmark in suite.benchmarks:
        preferred = getattr(benchmark, "filter", None)
        metric = benchmark.metrics[0]
        if benchmark.rule not in _PLANNED_RULES:
            return None
        if benchmark.rule == "mean_of_metrics":
            found = [rows.chosen(benchmark.task, m, preferred) for m in benchmark.metrics]
            tasks = [benchmark.task]
            baselines = [benchmark.baseline] * len(found)
        elif benchmark.rule == "subtask_mean":
            tasks = _subtasks(benchmark, parsed, rows)
            found = [rows.chosen(task, metric, preferred) for task in tasks]
            baselines = [_baseline(benchmark, task, parsed) for task in tasks]
        else:
            subtasks = _subtasks(benchmark, parsed, rows)
            found = [row for row in (rows.chosen(task, metric, preferred) for task in subtasks) if row]
            found.append(rows.chosen(benchmark.task, metric, preferred))  # None: rebuilt from the subtasks
            tasks = [benchmark.task, *subtasks]
            baselines = [benchmark.baseline] * len(found)
        if not tasks or any(row is None for row in found) or any(b is None for b in baselines):
            return None
        planned.append(_BenchmarkPlan(benchmark, len(found_rows), len(found_rows) + len(found), tuple(tasks)))
        found_rows += [row for row in found if row]
        all_baselines += [b for b in baselines if b is not None]
    if len(found_rows) < 2:
        return None
    row_keys = tuple(row[:3] for row in found_rows)
    return _Plan(suite, tuple(planned), itemgetter(*(place[key] for key in row_keys)), row_keys,
                 tuple(all_baselines), tuple(1.0 - b for b in all_baselines))


def _scored_by_plan(plan: _Plan, rows: list[ScoreRow],
                    by_row: dict[RowKey, float | None]) -> dict[str, BenchmarkScore] | None:
    """``_score_benchmark``'s scores for a run of the plan's shape, normalized rows set in ``by_row``; None where
    a row read is no share from 0 to 1 (``_score_benchmark`` raises the error)."""
    values = list(map(_VALUE, plan.rows(rows)))
    if not _shares(values):
        return None
    scores = [max(0.0, value - baseline) / span * 100.0  # normalize(value, baseline)
              for value, baseline, span in zip(values, plan.baselines, plan.spans, strict=True)]
    by_row.update(zip(plan.keys, scores, strict=True))
    benchmarks = {}
    for benchmark, start, end, tasks in plan.benchmarks:
        if benchmark.rule == "mean_of_metrics":
            raw = sum(values[start:end]) / (end - start)
            normalized = normalize(raw, benchmark.baseline)
        elif benchmark.rule == "subtask_mean":
            raw, normalized = sum(values[start:end]) / (end - start), sum(scores[start:end]) / (end - start)
        else:  # group: its own row, last
            raw, normalized = values[end - 1], scores[end - 1]
        benchmarks[benchmark.key] = BenchmarkScore(benchmark.key, raw, normalized, list(tasks))
    return benchmarks


_VALUE = itemgetter(3)  # a ScoreRow's value


def _shares(values: list[float]) -> bool:
    """Whether every value is a share from 0 to 1 (``_Rows.get``'s check), tested without a Python loop."""
    try:
        return math.isfinite(sum(values)) and min(values) >= 0.0 and max(values) <= 1.0
    except (TypeError, ValueError, OverflowError):  # no values, or one that is no float (a hand-made ParsedResults)
        return False
