"""The uncertainty of one run's scores, computed once when the run is stored.

From the run's per-sample details: for each benchmark and for the average, a standard error and a 95%
interval on the normalized scale (``warehouse.statistics``):

- sample-weighted benchmarks (``group``: GPQA, MMLU-Pro, MATH): the standard error of the mean of item
  scores, clustered by subtask (Miller 2024), its interval mapped through the normalization (so it is
  clipped at the baseline like the score);
- IFEval, the subtask-averaged benchmarks (BBH, MuSR) and the average: a stratified bootstrap over items
  within each task (IFEval: over prompts, the clusters of its instructions), with a fixed seed.

Imported runs carry no samples: the harness's own ``_stderr`` of the benchmark's value is used where the
file has one (a normal interval on the normalized scale), and no interval where it has none.
"""

from __future__ import annotations

import math
from itertools import repeat

import numpy as np
import polars as pl

from core.benchmarks import Benchmark, Suite
from warehouse.rows import RunIntervalRow as RunInterval
from warehouse.statistics import Z95, average_rule, benchmark_rule, bootstrap, clustered_mean, normalize

AVERAGE = "average"


def tasks_of(benchmark: Benchmark, tasks: list[str]) -> list[str]:
    if benchmark.subtasks:
        return [t for t in tasks if t in benchmark.subtasks]
    return [t for t in tasks if t == benchmark.task or t.startswith(benchmark.task + "_")]


def _item_scores(samples: pl.DataFrame, benchmark: Benchmark, task: str) -> dict[str, np.ndarray]:
    rows = samples.filter(pl.col("task") == task)
    first_filter = rows["filter"].drop_nulls().head(1).to_list()
    if first_filter:
        rows = rows.filter(pl.col("filter") == first_filter[0])
    metric = (rows["metrics"].str.json_path_match(f"$.{benchmark.metrics[0]}")
              .replace({"true": "1", "false": "0"}).cast(pl.Float64, strict=False).to_numpy())
    out = {task if benchmark.rule != "mean_of_metrics" else benchmark.metrics[0]: metric[~np.isnan(metric)]}
    if benchmark.rule == "mean_of_metrics" and "instructions" in rows.columns:
        shares = np.asarray([np.mean(x) if x else np.nan for x in rows["instructions"].to_list()], dtype=float)
        out[benchmark.metrics[-1]] = shares[~np.isnan(shares)]
    return {k: v for k, v in out.items() if v.size}


def sample_intervals(run_id: str, samples: pl.DataFrame, suite: Suite) -> list[RunInterval]:
    """Each benchmark's interval and the average's, from the run's per-sample details."""
    tasks = samples["task"].unique().sort().to_list()
    out, every = [], {}
    for bench in suite.benchmarks:
        items: dict[str, np.ndarray] = {}
        for task in tasks_of(bench, tasks):
            items.update(_item_scores(samples, bench, task))
        if not items:
            continue
        every.update({f"{bench.key}/{t}": v for t, v in items.items()})
        if bench.rule == "group":
            pooled = np.concatenate(list(items.values()))
            clusters = np.concatenate([np.full(v.size, t) for t, v in items.items()])
            est = clustered_mean(pooled, clusters if len(items) > 1 else None)
            if est.se is None:
                continue
            scale = 100.0 / (1.0 - bench.baseline)
            low, high = normalize(est.ci_low, bench.baseline), normalize(est.ci_high, bench.baseline)
            out.append(RunInterval(run_id, bench.key, est.se * scale, float(low), float(min(high, 100.0)),
                                   "clustered"))
        else:
            est = bootstrap(items, benchmark_rule(bench))
            out.append(RunInterval(run_id, bench.key, est.se, est.ci_low, est.ci_high, "bootstrap"))
    if every:
        est = bootstrap(every, average_rule(suite.benchmarks))
        out.append(RunInterval(run_id, AVERAGE, est.se, est.ci_low, est.ci_high, "bootstrap"))
    return out


def harness_stderr(benchmark: Benchmark, tasks: list[str], stderr_of: dict[tuple[str, str], float]) -> float | None:
    """The harness's standard error of a benchmark's raw value (0..1), from the ``_stderr`` of the rows it
    was scored from: the group's (or the one task's) for most rules; for ``subtask_mean`` the subtasks'
    combined as independent, each scaled by its baseline to the group's raw scale; None if any is missing."""
    metric = benchmark.metrics[0]
    if benchmark.rule != "subtask_mean":
        for task in (benchmark.task, *tasks):
            if (task, metric) in stderr_of:
                return stderr_of[(task, metric)]
        return None
    parts = list(map(stderr_of.get, zip(tasks, repeat(metric))))
    kinds = set(map(type, parts))
    if not parts or type(None) in kinds:
        return None
    baselines = benchmark.baselines
    scaled = parts  # a float p / (1.0 - 0.0) is p, bit for bit: BBH declares no baselines
    if baselines or kinds != {float}:
        scaled = [p / (1.0 - baselines.get(t, 0.0)) for p, t in zip(parts, tasks, strict=True)]
    return math.sqrt(sum(map(pow, scaled, repeat(2)))) / len(scaled)


def harness_intervals(run_id: str, suite: Suite, stderr: dict[str, float | None],
                      normalized: dict[str, float | None]) -> list[RunInterval]:
    """Imported runs: the harness's ``_stderr`` of each benchmark's raw value, on the normalized scale; the
    average's where every benchmark has one (independent benchmarks: the root of the summed variances / n)."""
    out = []
    new = tuple.__new__  # RunInterval(...) costs a Python call
    for bench in suite.benchmarks:
        se_raw, value = stderr.get(bench.key), normalized.get(bench.key)
        if se_raw is None or value is None or not math.isfinite(se_raw):
            continue
        scale = 1.0 if bench.rule in ("raw", "subtask_mean", "mean_of_metrics") else 1.0 / (1.0 - bench.baseline)
        se = se_raw * 100.0 * scale  # subtask_mean's stderr was scaled per subtask already
        out.append(new(RunInterval, (run_id, bench.key, se, max(0.0, value - Z95 * se),
                                     min(100.0, value + Z95 * se), "harness")))
    if out and len(out) == len(suite.benchmarks):
        values = [normalized[b.key] for b in suite.benchmarks]
        se = math.sqrt(sum(r.se**2 for r in out)) / len(out)
        mean = _mean(values)
        out.append(RunInterval(run_id, AVERAGE, se, max(0.0, mean - Z95 * se), min(100.0, mean + Z95 * se),
                               "harness"))
    return out


def _mean(values: list[float]) -> float:
    """``float(np.mean(values))``, bit for bit, without numpy's overhead on a suite's few benchmarks: numpy
    adds fewer than 8 values left to right (more, pairwise, which it is left to do)."""
    if len(values) >= 8:
        return float(np.mean(values))
    return sum(values, 0.0) / len(values)  # left to right, as numpy below 8 values
