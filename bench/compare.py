"""Comparing two runs item by item (issue 12): `llmboard compare` on 10,000 paired items, target ≤ 200 ms.

Two synthetic runs of the offline suite's 17 tasks share 10,000 documents (their per-sample Parquet
files written as the ingest writes them: metrics, correctness, each choice's log-likelihood, IFEval's
instruction results); run B differs from A on about 15% of items. Measured, interleaved, p50 of REPEAT:

- ours: ``warehouse.queries.compare.compare_runs`` end to end (look up both runs, read both files, pair,
  six benchmarks and the average with 1,000 paired resamples each, flips, agreement, KL divergence);
- baseline: the same two files read and joined with polars, then ``scipy.stats.bootstrap`` (paired,
  percentile, 1,000 resamples, vectorized) of the mean difference in correctness: one interval where ours
  computes seven, with no strata and no scoring rules.

    .venv/bin/python bench/compare.py [--items 10000] [--repeat 15] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.warehouse import write_section  # noqa: E402
from core.offline_suite import OFFLINE, TASKS  # noqa: E402
from warehouse.queries.compare import compare_runs  # noqa: E402
from warehouse.samples import SCHEMA  # noqa: E402
from warehouse.writer import Writer  # noqa: E402


def samples(run_id: str, n_items: int, rng: np.random.Generator, base: np.ndarray | None) -> pl.DataFrame:
    """n_items documents spread over the offline tasks by their sizes; B flips ~15% of A's answers."""
    sizes = np.array([t.items for t in TASKS], dtype=float)
    per_task = np.maximum(1, np.round(n_items * sizes / sizes.sum())).astype(int)
    rows, k = [], 0
    for task, n in zip(TASKS, per_task, strict=True):
        metric = OFFLINE.benchmarks[[b.key for b in OFFLINE.benchmarks].index(task.benchmark)].metrics[0]
        for doc in range(n):
            right = bool(base[k]) if base is not None else bool(rng.random() < 0.5)
            if base is not None and rng.random() < 0.15:
                right = not right
            choices = (rng.normal(-20, 3, task.choices).tolist() if task.choices else None)
            instr = [right, bool(rng.random() < 0.5)] if task.benchmark == "ifeval" else None
            rows.append({"run_id": run_id, "task": task.name, "doc_id": doc, "doc_hash": f"{task.name}-{doc}",
                         "filter": "none", "prompt": "", "target": "", "response": "", "correct": right,
                         "metrics": json.dumps({metric: float(right)}), "choice_loglik": choices,
                         "instructions": instr})
            k += 1
    return pl.DataFrame(rows, schema=SCHEMA)


def build(home: Path, n_items: int) -> tuple[str, str, list[Path]]:
    rng = np.random.default_rng(12)
    folder = home / "samples"
    folder.mkdir(parents=True, exist_ok=True)
    a = samples("run-a", n_items, rng, None)
    b = samples("run-b", n_items, rng, a["correct"].to_numpy())
    paths = []
    for frame in (a, b):
        path = folder / f"{frame['run_id'][0]}.parquet"
        frame.write_parquet(path)
        paths.append(path)
    with Writer(home) as w:
        w.insert_frame("runs", pa.table({
            "run_id": ["run-a", "run-b"], "model_id": ["bench/compare"] * 2, "sha": ["a" * 40] * 2,
            "precision": ["float32", "4bit"], "suite": ["offline"] * 2, "samples_file": [str(p) for p in paths]}),
            origin="'worker'", ingested_at="now()")
    return "run-a", "run-b", paths


def baseline(paths: list[Path]) -> None:
    from scipy.stats import bootstrap

    a, b = (pl.read_parquet(p, columns=["task", "doc_hash", "correct"]) for p in paths)
    both = a.join(b, on=["task", "doc_hash"], suffix="_b")
    x, y = both["correct"].to_numpy().astype(float), both["correct_b"].to_numpy().astype(float)
    bootstrap((y, x), lambda y, x, axis: (y - x).mean(axis=axis), paired=True, vectorized=True,
              n_resamples=1000, method="percentile", random_state=1)


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        run_a, run_b, paths = build(home, args.items)
        result = compare_runs(home, run_a, run_b)  # warm: imports, first snapshot
        ours, base = [], []
        for _ in range(args.repeat):  # interleaved, so machine load hits both alike
            ours.append(timed(lambda: compare_runs(home, run_a, run_b)))
            base.append(timed(lambda: baseline(paths)))
    p50, b50 = statistics.median(ours), statistics.median(base)
    section = "\n".join([
        "## Comparing two runs (`bench/compare.py`)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {result['n_paired']:,} paired items over the offline suite's "
        f"17 tasks, p50 of {args.repeat} interleaved calls each. The baseline reads and joins the same two "
        "Parquet files with polars and bootstraps one paired interval with `scipy.stats.bootstrap` (1,000 "
        "resamples); ours computes seven (six benchmarks by their scoring rules, stratified by task, and the "
        "average) plus flips, agreement and KL divergence.",
        "",
        "```sh",
        f".venv/bin/python bench/compare.py --items {args.items} --repeat {args.repeat}",
        "```",
        "",
        "| what | ours | baseline | ratio | target | |",
        "|---|---|---|---|---|---|",
        f"| `llmboard compare` on {result['n_paired']:,} paired items | p50 {p50 * 1000:.0f} ms "
        f"(min {min(ours) * 1000:.0f}) | polars + scipy, one interval: p50 {b50 * 1000:.0f} ms | "
        f"{p50 / b50:.2f}× the time | ≤ 200 ms | {'met' if p50 <= 0.2 else '**missed**'} |",
        "",
    ])
    print(section)
    if not args.no_write:
        write_section(REPO / "BENCHMARKS.md", section)


if __name__ == "__main__":
    main()
