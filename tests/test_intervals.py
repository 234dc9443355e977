"""Each run's intervals, computed once at ingest: they hold the run's own score, follow each benchmark's
rule, are the same every time, and imported runs get the harness's stderr or nothing."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from core.offline_suite import OFFLINE, TASKS
from warehouse.intervals import AVERAGE, harness_intervals, sample_intervals
from warehouse.statistics import benchmark_rule, clustered_mean, normalize


def synthetic_samples(seed: int = 1, per_task: int = 40) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for task in TASKS:
        metric = next(b for b in OFFLINE.benchmarks if b.key == task.benchmark).metrics[0]
        for doc in range(per_task):
            right = bool(rng.random() < 0.55)
            rows.append({"task": task.name, "doc_id": doc, "filter": "none", "correct": right,
                         "metrics": json.dumps({metric: right}),
                         "instructions": [right, bool(rng.random() < 0.5)] if task.benchmark == "ifeval" else None})
    return pl.DataFrame(rows)


def items(samples: pl.DataFrame, task: str) -> np.ndarray:
    return samples.filter(pl.col("task") == task)["correct"].cast(pl.Float64).to_numpy()


def test_each_benchmark_and_the_average_get_an_interval_around_their_score():
    samples = synthetic_samples()
    found = {r.benchmark: r for r in sample_intervals("r1", samples, OFFLINE)}
    assert set(found) == {b.key for b in OFFLINE.benchmarks} | {AVERAGE}
    for bench in OFFLINE.benchmarks:
        tasks = bench.subtasks or (bench.task,)
        if bench.rule == "mean_of_metrics":
            continue
        score = benchmark_rule(bench)({t: items(samples, t).mean() for t in tasks},
                                      {t: items(samples, t).size for t in tasks})
        r = found[bench.key]
        assert r.ci_low <= score <= r.ci_high and 0 <= r.ci_low and r.ci_high <= 100 and r.se > 0, bench.key
    gpqa = next(b for b in OFFLINE.benchmarks if b.key == "gpqa")
    pooled = np.concatenate([items(samples, t) for t in gpqa.subtasks])
    clusters = np.concatenate([[t] * items(samples, t).size for t in gpqa.subtasks])
    est = clustered_mean(pooled, clusters)
    assert found["gpqa"].method == "clustered"
    assert found["gpqa"].ci_low == pytest.approx(float(normalize(est.ci_low, 0.25)))
    assert found["gpqa"].ci_high == pytest.approx(float(normalize(est.ci_high, 0.25)))


def test_the_same_samples_give_the_same_intervals_and_more_items_narrower_ones():
    small, large = synthetic_samples(per_task=20), synthetic_samples(per_task=200)
    assert sample_intervals("r", small, OFFLINE) == sample_intervals("r", small, OFFLINE)
    width = {n: {r.benchmark: r.ci_high - r.ci_low for r in sample_intervals("r", s, OFFLINE)}
             for n, s in (("small", small), ("large", large))}
    assert width["large"][AVERAGE] < width["small"][AVERAGE]


def test_imported_runs_use_the_harness_stderr_or_show_no_interval():
    normalized = {b.key: 40.0 for b in OFFLINE.benchmarks}
    stderr = {b.key: 0.02 for b in OFFLINE.benchmarks}
    rows = {r.benchmark: r for r in harness_intervals("imp", OFFLINE, stderr, normalized)}
    gpqa = rows["gpqa"]
    assert gpqa.method == "harness" and gpqa.se == pytest.approx(0.02 * 100 / 0.75)
    assert gpqa.ci_low == pytest.approx(40 - 1.959963984540054 * gpqa.se)
    assert AVERAGE in rows
    partial = harness_intervals("imp", OFFLINE, {"gpqa": 0.02}, normalized)
    assert [r.benchmark for r in partial] == ["gpqa"], "no average interval unless every benchmark has one"
    assert harness_intervals("imp", OFFLINE, {}, normalized) == []


def test_an_imported_results_file_gets_the_harness_intervals(tmp_path, fixtures):
    """The official leaderboard file carries `_stderr` values: each benchmark's interval comes from them."""
    from tests.warehouse_files import table
    from warehouse.ingest import Writer

    with Writer(tmp_path) as w:
        report = w.import_results(sorted((fixtures / "results" / "official").rglob("*.json")))
    assert report.errors == []
    rows = table(tmp_path, "SELECT i.benchmark, i.method, i.se, i.ci_low, i.ci_high, b.normalized FROM run_intervals i "
                           "LEFT JOIN benchmark_scores b USING (run_id, benchmark) ORDER BY i.benchmark")
    assert rows and all(method == "harness" for _, method, *_ in rows)
    for benchmark, _, se, low, high, value in rows:
        if benchmark != AVERAGE:
            assert se > 0 and low <= value <= high and 0 <= low and high <= 100, benchmark
