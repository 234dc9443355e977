"""Two runs compared item by item: which differences are real and which are noise.

Items are paired by task and document (its hash where the harness gave one, else its id). For each
benchmark of the runs' suite and for the average: the difference in normalized points (B minus A) with a
95% paired-bootstrap interval (``warehouse.statistics``); the share of items whose correctness flips;
for multiple-choice items, how often the top choice agrees and the mean KL divergence of B's choice
distribution from A's. IFEval's instruction-level accuracy is taken per prompt (its share of
instructions followed), so prompts are the resampled items.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import polars as pl

from core.benchmarks import Benchmark
from core.suites import suite as suite_by_name
from warehouse.intervals import tasks_of
from warehouse.queries.snapshot import frame
from warehouse.statistics import N_BOOT, SEED, average_rule, choice_items, paired_draws, prefixed_rule

COLUMNS = ["task", "doc_id", "doc_hash", "filter", "correct", "metrics", "choice_loglik", "instructions"]


class CompareError(ValueError):
    """The runs cannot be compared; the message says why and what would do."""


class Side(NamedTuple):
    run_id: str
    suite: str
    model_id: str
    precision: str
    sha: str | None
    samples: pl.DataFrame


def _side(home: Path, run_id: str) -> Side:
    found = frame(home, "SELECT run_id, suite, model_id, precision, sha, samples_file FROM runs WHERE run_id = ?",
                  [run_id])
    if not found.height:
        raise CompareError(f"run {run_id!r}: no such run (`llmboard model MODEL` lists a model's runs)")
    row = found.row(0, named=True)
    path = row["samples_file"]
    if not path or not Path(path).exists():
        raise CompareError(f"run {run_id}: no per-sample details (imported results carry none); compare two "
                           "runs evaluated here")
    have = pl.read_parquet_schema(path)
    samples = pl.read_parquet(path, columns=[c for c in COLUMNS if c in have])
    for missing in (c for c in COLUMNS if c not in have):  # files written before a column existed
        samples = samples.with_columns(pl.lit(None).alias(missing))
    first_filter = samples.group_by("task").agg(pl.col("filter").first().alias("keep"))
    samples = (samples.join(first_filter, on="task").filter(pl.col("filter").eq_missing(pl.col("keep")))
               .with_columns(key=pl.coalesce(pl.col("doc_hash"), pl.col("doc_id").cast(pl.String)))
               .unique(["task", "key"], keep="first", maintain_order=True))
    return Side(row["run_id"], row["suite"], row["model_id"], row["precision"], row["sha"], samples)


def _metrics(values: pl.Series, names: set[str]) -> dict[str, np.ndarray]:
    """Some metrics of each item, from the samples' JSON ``metrics``, parsed once (NaN where absent)."""
    dtype = pl.Struct({n: pl.Float64 for n in sorted(names)})
    decoded = values.str.replace_all("true", "1.0").str.replace_all("false", "0.0").str.json_decode(dtype)
    return {n: decoded.struct.field(n).fill_null(np.nan).to_numpy().astype(float) for n in names}


class PairedColumns(NamedTuple):
    """The paired items' task and, per side, each metric the suite scores and IFEval's instruction share:
    read from the JSON once, then sliced per task."""

    task: np.ndarray
    a: dict[str, np.ndarray]
    b: dict[str, np.ndarray]


def _columns(paired: pl.DataFrame, metrics: set[str]) -> PairedColumns:
    def share(column: str) -> np.ndarray:
        found = paired[column].list.eval(pl.element().cast(pl.Float64)).list.mean()
        return found.fill_null(np.nan).to_numpy().astype(float)

    a, b = _metrics(paired["metrics"], metrics), _metrics(paired["metrics_b"], metrics)
    a[INSTRUCTIONS], b[INSTRUCTIONS] = share("instructions"), share("instructions_b")
    return PairedColumns(paired["task"].to_numpy(), a, b)


INSTRUCTIONS = "instructions"


def _items(benchmark: Benchmark, cols: PairedColumns, tasks: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The benchmark's item scores in runs A and B, keyed by task (IFEval: by metric), aligned by item."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    metric = benchmark.metrics[0]
    for task in tasks:
        rows = cols.task == task
        if benchmark.rule == "mean_of_metrics":  # IFEval: prompt level, and instruction level per prompt
            pairs = {metric: (cols.a[metric][rows], cols.b[metric][rows]),
                     benchmark.metrics[-1]: (cols.a[INSTRUCTIONS][rows], cols.b[INSTRUCTIONS][rows])}
        else:
            pairs = {task: (cols.a[metric][rows], cols.b[metric][rows])}
        for key, (a, b) in pairs.items():
            ok = ~(np.isnan(a) | np.isnan(b))
            if ok.any():
                out[key] = (a[ok], b[ok])
    return out


class ItemAgreement(NamedTuple):
    """Per paired item (NaN where it does not apply): correctness flipped, same top choice, KL divergence."""

    flip: np.ndarray
    agree: np.ndarray
    kl: np.ndarray


def _item_agreement(paired: pl.DataFrame) -> ItemAgreement:
    both = (paired["correct"].is_not_null() & paired["correct_b"].is_not_null()).to_numpy()
    flip = np.where(both, (paired["correct"] != paired["correct_b"]).fill_null(False).to_numpy(), np.nan)
    agree, kl = choice_items(paired["choice_loglik"].to_list(), paired["choice_loglik_b"].to_list())
    return ItemAgreement(flip.astype(float), agree, kl)


def _flips_and_choices(items: ItemAgreement, rows: np.ndarray | slice = slice(None)) -> dict:
    def mean(x: np.ndarray) -> float | None:
        x = x[rows]
        x = x[~np.isnan(x)]
        return float(x.mean()) if x.size else None

    return {"flip_rate": mean(items.flip), "agreement": mean(items.agree), "kl_divergence": mean(items.kl)}


def verdict(diff: float, low: float, high: float) -> str:
    if np.isnan(diff):
        return "no paired items"
    if low <= 0 <= high:
        return "no detectable difference"
    return f"{'better' if diff > 0 else 'worse'} by {abs(diff):.1f} ± {(high - low) / 2:.1f} points"


def _difference(paired) -> dict:
    return {"diff": paired.diff, "ci_low": paired.ci_low, "ci_high": paired.ci_high,
            "verdict": verdict(paired.diff, paired.ci_low, paired.ci_high)}


def compare_runs(home: Path, run_a: str, run_b: str, *, n_boot: int = N_BOOT, seed: int = SEED) -> dict:
    """Run B against run A (the reference) on the items both answered; see the module's docstring."""
    a, b = _side(home, run_a), _side(home, run_b)
    if a.suite != b.suite:
        raise CompareError(f"run {run_a} is on the {a.suite} suite and run {run_b} on {b.suite}: compare runs of "
                           "one suite")
    paired = a.samples.join(b.samples, on=["task", "key"], suffix="_b")
    agreement = _item_agreement(paired)
    benchmarks = suite_by_name(a.suite).benchmarks
    tasks = paired["task"].unique().sort().to_list()
    cols = _columns(paired, {bench.metrics[0] for bench in benchmarks})
    items = {bench.key: _items(bench, cols, tasks_of(bench, tasks)) for bench in benchmarks}
    flat_a = {f"{k}/{t}": v[0] for k, per in items.items() for t, v in per.items()}
    flat_b = {f"{k}/{t}": v[1] for k, per in items.items() for t, v in per.items()}
    draws = paired_draws(flat_a, flat_b, n_boot=n_boot, seed=seed)
    rows = []
    for bench in benchmarks:
        mine = [f"{bench.key}/{t}" for t in items[bench.key]]
        own = np.isin(cols.task, tasks_of(bench, tasks))
        rows.append({"benchmark": bench.key, "display": bench.display, "n_paired": int(own.sum()),
                     **_difference(draws.difference(prefixed_rule(bench), mine)), **_flips_and_choices(agreement, own)})
    average = _difference(draws.difference(average_rule(benchmarks)))
    return {"run_a": a.run_id, "run_b": b.run_id, "model_a": a.model_id, "model_b": b.model_id,
            "precision_a": a.precision, "precision_b": b.precision, "suite": a.suite,
            "n_paired": paired.height, **_flips_and_choices(agreement), "average": average,
            "benchmarks": rows, "verdict": average["verdict"]}
