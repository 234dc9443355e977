"""A model's runs in one precision over time: commit by commit, re-runs of a commit kept apart."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from warehouse.queries.precisions import LATEST_FIRST
from warehouse.queries.snapshot import frame, quote
from warehouse.queries.suites import benchmark_columns, default_suite


def run_history(home: Path, model: str, precision: str, suite: str | None = None) -> pl.DataFrame:
    """Every run of a model in one precision, oldest first: one column per benchmark (normalized) and the
    average, with the commit's first finish time and the run's attempt number within its sha."""
    suite = suite or default_suite(home)
    keys = "".join(f", {quote(k)}" for k, _ in benchmark_columns(suite or ""))
    return frame(home, f"""
        SELECT run_id, sha, left(sha, 7) AS short_sha, run_at AS finished_at, average, request_id, origin,
               row_number() OVER (PARTITION BY sha ORDER BY run_at, run_id) AS attempt,
               count(*) OVER (PARTITION BY sha) AS runs_of_sha {keys}
        FROM runs_wide
        WHERE model_id = ? AND precision = ? AND suite = ?
        ORDER BY run_at, run_id""", [model, precision, suite])


def sha_history(home: Path, model: str, precision: str, suite: str | None = None) -> pl.DataFrame:
    """Every run of one model in one precision, commit by commit: each benchmark and the average.

    Commits come in the order they were first submitted (or, without a request, first evaluated);
    re-runs of one sha stay separate rows (`rerun` 1, 2, ...), oldest first. `suite` defaults to the
    suite of the model's latest run in that precision. Reads ``runs_wide`` (ordered by model).
    """
    if suite is None:
        found = frame(home, "SELECT suite FROM runs_wide WHERE model_id = ? AND precision = ? "
                            f"ORDER BY {LATEST_FIRST} LIMIT 1", [model, precision])
        if not found.height:
            return pl.DataFrame()
        suite = found["suite"][0]
    keys = [k for k, _ in benchmark_columns(suite)]
    scores = "".join(f", r.{quote(k)}" for k in keys)
    sql = f"""
        WITH r AS (
            SELECT r.*, q.submitted_time
            FROM (SELECT * FROM runs_wide WHERE model_id = ? AND precision = ? AND suite = ?) r
            LEFT JOIN (SELECT request_id, submitted_time FROM requests) q USING (request_id)
        )
        SELECT r.sha, left(r.sha, 7) AS short_sha,
               row_number() OVER (PARTITION BY r.sha ORDER BY r.run_at, r.run_id) AS rerun,
               r.run_id, r.submitted_time, r.finished_at, r.average {scores},
               min(coalesce(r.submitted_time, r.run_at)) OVER (PARTITION BY r.sha) AS sha_first_seen
        FROM r
        ORDER BY sha_first_seen, r.sha, rerun
    """
    return frame(home, sql, [model, precision, suite])
