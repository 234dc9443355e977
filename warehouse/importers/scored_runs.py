"""A parsed results file as warehouse rows: scored with its suite's rule, then its model, run, score and
benchmark rows. Shared by the results-file import and our workers' bundles (which know more of the run)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from itertools import repeat

import orjson

from core.benchmarks import Suite
from core.suites import suite as suite_by_name
from warehouse.formats import FormatError, ParsedResults
from warehouse.intervals import harness_intervals, harness_stderr
from warehouse.rows import BenchmarkScoreRow, Load, ModelRow, RunRow, RunScoreRow, TaskHashSetRow, timestamp
from warehouse.scoring import RunScores, score_run


@dataclass
class RunFacts:
    """What a worker's bundle knows of a run beyond its results file (None: take the file's, or unknown)."""

    request_id: str | None = None
    model_id: str | None = None
    sha: str | None = None
    precision: str | None = None
    weight_type: str | None = None
    model_type: str | None = None
    use_chat_template: bool | None = None
    params_b: float | None = None
    license: str | None = None
    base_model: str | None = None
    source: str | None = None
    architecture: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    duration_s: float | None = None
    device: str | None = None
    dtype: str | None = None
    co2_kg: float | None = None
    bundle_path: str | None = None
    samples_file: str | None = None


NO_FACTS = RunFacts()


def run_rows(parsed: ParsedResults, load: Load, *, run_id: str, origin: str, source_file: str,
             raw_file: str | None, facts: RunFacts = NO_FACTS) -> None:
    """Score a parsed results file and add its model, run, score and benchmark rows to ``load``."""
    try:
        suite = suite_by_name(parsed.suite)
    except KeyError:
        suite = None
    scored = score_run(parsed, suite) if suite is not None else None
    stderr_of = _scored_stderrs(parsed, suite, scored, source_file) if scored else {}
    model_id = facts.model_id or parsed.model
    if not model_id:
        raise FormatError(source_file, "model_name", "no model name found (model_name, config.model_name or "
                                                     "config.model_args pretrained=...)")
    load.models.append(ModelRow(model_id, params_b=facts.params_b, model_type=facts.model_type,
                                weight_type=facts.weight_type, license=facts.license,
                                base_model=facts.base_model or None, source=facts.source,
                                architecture=facts.architecture))
    chat = bool(parsed.chat_template) if facts.use_chat_template is None else facts.use_chat_template
    load.runs.append(RunRow(
        run_id=run_id, request_id=facts.request_id, model_id=model_id, sha=facts.sha or parsed.sha,
        precision=facts.precision or parsed.precision, weight_type=facts.weight_type, model_type=facts.model_type,
        use_chat_template=chat, suite=parsed.suite, lm_eval_version=parsed.lm_eval_version,
        transformers_version=parsed.transformers_version, task_hash_set=_task_hash_set(parsed, load),
        started_at=timestamp(facts.started_at), finished_at=timestamp(facts.finished_at or parsed.evaluated_at),
        duration_s=facts.duration_s, device=facts.device, dtype=facts.dtype, params_b=facts.params_b,
        co2_kg=facts.co2_kg, average=scored.average if scored else None, origin=origin, source_file=source_file,
        bundle_path=facts.bundle_path, samples_file=facts.samples_file, raw_file=raw_file, raw=None,
    ))
    benchmark_of = {t: b.key for b in scored.benchmarks.values() for t in b.tasks} if scored else {}
    benchmark_get, new = benchmark_of.get, tuple.__new__  # a file has hundreds of rows: new is several times
    # cheaper than RunScoreRow(...)
    rows = [*parsed.scores, *scored.aggregate_rows] if scored else parsed.scores  # formats.ScoreRow: task, ...
    normalized = scored.normalized_by_row if scored else {}
    if scored and rows and len(normalized) == len(rows):
        # no two rows share a (task, metric, filter), and normalized_by_row holds them in the rows' order (the
        # parsed rows', then the rebuilt ones': see score_run); the rows' columns joined in C, not row by row
        tasks, metrics, filters, values, stderrs, counts = zip(*rows, strict=True)
        load.scores += map(new, repeat(RunScoreRow), zip(
            repeat(run_id), map(benchmark_get, tasks), tasks, metrics, filters, values, stderrs, counts,
            normalized.values(), strict=False))
    else:
        seen: set[tuple[str, str, str]] = set()
        normalized_get, add, append = normalized.get, seen.add, load.scores.append
        for s in rows:
            key = s[:3]
            if key in seen:
                continue
            add(key)
            append(new(RunScoreRow, (run_id, benchmark_get(s[0]), *s, normalized_get(key))))
    if scored:
        rule_of = {b.key: b for b in suite.benchmarks}
        stderr = {k: harness_stderr(rule_of[k], b.tasks, stderr_of) for k, b in scored.benchmarks.items()
                  if k in rule_of}
        load.benchmark_scores += [new(BenchmarkScoreRow, (run_id, b.key, b.raw, b.normalized, stderr.get(b.key)))
                                  for b in scored.benchmarks.values()]
        if not facts.samples_file:  # runs with samples get theirs from the items (importers/bundles.py)
            load.intervals.extend(harness_intervals(
                run_id, suite, stderr, {b.key: b.normalized for b in scored.benchmarks.values()}))


def _task_hash_set(parsed: ParsedResults, load: Load) -> str | None:
    """The id of the file's lm-eval task hashes, their row added to ``load``; None where it has none."""
    task_hashes = parsed.raw.get("task_hashes")
    if not task_hashes:
        return None
    text = _json_text(task_hashes)
    set_id = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
    load.task_hash_sets.append(TaskHashSetRow(set_id, text))
    return set_id


def _json_text(value: object) -> str:
    """``value`` as JSON text: orjson's (a tenth of the stdlib's time), or the stdlib's for what orjson refuses
    (integers past 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def _scored_stderrs(parsed: ParsedResults, suite: Suite, scored: RunScores,
                    source_file: str) -> dict[tuple[str, str], float]:
    """(task, metric) → the harness's stderr; FormatError where a benchmark's metric has one outside 0 to 1
    (the metric is a share, so its standard error is at most 0.5; squaring 1e200 would overflow)."""
    stderr_of = {s[:2]: s[4] for s in parsed.scores if s[4] is not None}  # ScoreRow: task, metric, ..., stderr
    for benchmark in suite.benchmarks:
        metric = benchmark.metrics[0]
        for task in scored.benchmarks[benchmark.key].tasks:
            stderr = stderr_of.get((task, metric))
            if stderr is not None and not 0.0 <= stderr <= 1.0:
                raise FormatError(source_file, f"results.{task}", f"{metric}_stderr: expected a standard error "
                                                                  f"from 0 to 1, got {stderr!r}")
    return stderr_of
