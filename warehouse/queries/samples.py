"""Per-sample details of runs, read from their Parquet files: one run's samples, two runs' agreement."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from warehouse.queries.snapshot import frame


def run_samples(home: Path, run_id: str, *, task: str | None = None, correct: bool | None = None,
                text: str | None = None, limit: int = 500) -> pl.DataFrame:
    """Per-sample details of one run, from its Parquet file, filtered by task, correctness and a text."""
    files = frame(home, "SELECT samples_file FROM runs WHERE run_id = ?", [run_id])
    path = files["samples_file"][0] if files.height else None
    if not path or not Path(path).exists():
        return pl.DataFrame()
    lf = pl.scan_parquet(path)
    if task:
        lf = lf.filter(pl.col("task") == task)
    if correct is not None:
        lf = lf.filter(pl.col("correct") == correct)
    if text:
        needle = text.lower()
        lf = lf.filter(pl.any_horizontal(pl.col(c).str.to_lowercase().str.contains(needle, literal=True)
                                         for c in ("prompt", "target", "response")))
    return lf.select("task", "doc_id", "correct", "target", "response", "prompt", "metrics").sort(
        "task", "doc_id").head(limit).collect()


def sample_agreement(home: Path, run_a: str, run_b: str) -> pl.DataFrame:
    """Per task: how many documents both runs answered, and the share they got equally right or wrong."""
    files = frame(home, "SELECT run_id, samples_file FROM runs WHERE run_id IN (?, ?) AND samples_file IS NOT NULL",
                  [run_a, run_b])
    paths = dict(zip(files["run_id"], files["samples_file"], strict=False)) if files.height else {}
    if run_a not in paths or run_b not in paths or not all(Path(p).exists() for p in paths.values()):
        return pl.DataFrame()
    a = pl.read_parquet(paths[run_a], columns=["task", "doc_id", "correct"])
    b = pl.read_parquet(paths[run_b], columns=["task", "doc_id", "correct"])
    both = a.join(b, on=["task", "doc_id"], suffix="_b")
    return (both.group_by("task").agg(documents=pl.len(), agreement=(pl.col("correct") == pl.col("correct_b")).mean())
            .sort("task"))
