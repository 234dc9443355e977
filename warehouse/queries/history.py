"""A model's runs in one precision, commit by commit in the order of the model's own history (oldest
first), re-runs of a commit kept apart.

A commit's place comes from its request (``commit_position``, recorded at submission from ``git log`` or
the hub's commit list); commits without one (imported results) follow by commit date, then by when they
were first submitted or evaluated.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from warehouse.queries.compare import CompareError, compare_runs
from warehouse.queries.precisions import LATEST_FIRST
from warehouse.queries.snapshot import frame, quote
from warehouse.queries.suites import benchmark_columns

COMMIT_ORDER = "c.commit_position NULLS LAST, c.commit_date NULLS LAST, c.first_seen, r.sha"


def _history_sql(keys: list[str]) -> str:
    scores = "".join(f", r.{quote(k)}" for k in keys)
    return f"""
        WITH r AS (
            SELECT w.*, q.submitted_time, q.commit_position, q.commit_date, q.commit_title
            FROM (SELECT * FROM runs_wide WHERE model_id = ? AND precision = ? AND suite = ?) w
            LEFT JOIN (SELECT request_id, submitted_time, commit_position, commit_date, commit_title
                       FROM requests) q USING (request_id)
        ), c AS (
            SELECT sha, max(commit_position) AS commit_position, max(commit_date) AS commit_date,
                   max(commit_title) AS commit_title, min(coalesce(submitted_time, run_at)) AS first_seen
            FROM r GROUP BY sha
        )
        SELECT r.run_id, r.sha, left(r.sha, 7) AS short_sha, c.commit_position, c.commit_date, c.commit_title,
               r.ci_low AS average_ci_low, r.ci_high AS average_ci_high,
               dense_rank() OVER (ORDER BY {COMMIT_ORDER}) AS commit_order,
               row_number() OVER (PARTITION BY r.sha ORDER BY r.run_at, r.run_id) AS rerun,
               count(*) OVER (PARTITION BY r.sha) AS runs_of_sha,
               r.submitted_time, r.finished_at, r.run_at, r.request_id, r.origin, r.average {scores}
        FROM r JOIN c USING (sha)
        ORDER BY {COMMIT_ORDER}, rerun"""


def _suite_of_latest(home: Path, model: str, precision: str) -> str | None:
    found = frame(home, "SELECT suite FROM runs_wide WHERE model_id = ? AND precision = ? "
                        f"ORDER BY {LATEST_FIRST} LIMIT 1", [model, precision])
    return found["suite"][0] if found.height else None


def sha_history(home: Path, model: str, precision: str, suite: str | None = None) -> pl.DataFrame:
    """Every run of one model in one precision, commit by commit (oldest commit first): the commit's
    position, date and title, each benchmark and the average; re-runs of one sha are separate rows
    (`rerun` 1, 2, ..., oldest first). `suite` defaults to the suite of the model's latest run in that
    precision. Reads ``runs_wide`` (ordered by model)."""
    suite = suite or _suite_of_latest(home, model, precision)
    if suite is None:
        return pl.DataFrame()
    keys = [k for k, _ in benchmark_columns(suite)]
    return frame(home, _history_sql(keys), [model, precision, suite])


def commit_steps(home: Path, model: str, precision: str, suite: str | None = None) -> pl.DataFrame:
    """Each step between consecutive commits (the latest run of each): the average's paired difference
    with its 95% interval, and whether the interval excludes zero (a real change, not noise). Steps whose
    runs have no per-sample details are left out."""
    history = sha_history(home, model, precision, suite)
    if history.height < 2:
        return pl.DataFrame()
    last = history.group_by("commit_order", maintain_order=True).agg(pl.col("run_id").last(), pl.col("sha").last())
    steps, rows = [], last.to_dicts()
    for before, after in zip(rows, rows[1:], strict=False):
        try:
            c = compare_runs(home, before["run_id"], after["run_id"])
        except CompareError:
            continue
        a = c["average"]
        steps.append({"from_sha": before["sha"], "to_sha": after["sha"], "from_run": before["run_id"],
                      "to_run": after["run_id"], "diff": a["diff"], "ci_low": a["ci_low"], "ci_high": a["ci_high"],
                      "significant": bool(a["ci_low"] > 0 or a["ci_high"] < 0), "verdict": c["verdict"]})
    return pl.DataFrame(steps)


def run_history(home: Path, model: str, precision: str, suite: str | None = None) -> pl.DataFrame:
    """``sha_history`` as the History page charts it: each run with a label (short sha and commit
    title, "run k of n" for re-runs), the evaluation time, and ``attempt`` / ``runs_of_sha``."""
    history = sha_history(home, model, precision, suite)
    if not history.height:
        return history
    title = pl.col("commit_title").fill_null("")
    label = (pl.col("short_sha") + pl.when(title != "").then(" · " + title.str.slice(0, 40)).otherwise(pl.lit(""))
             + pl.when(pl.col("runs_of_sha") > 1)
             .then(pl.format(" (run {} of {})", pl.col("rerun"), pl.col("runs_of_sha"))).otherwise(pl.lit("")))
    return history.with_columns(label=label, attempt=pl.col("rerun"),
                                finished_at=pl.col("run_at"))
