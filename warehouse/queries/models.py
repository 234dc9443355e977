"""One model at a time: pickers' model lists, its metadata, runs, per-task scores, requests and flags."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from warehouse.queries.snapshot import frame


def model_choices(home: Path, suite: str | None = None) -> pl.DataFrame:
    """Every evaluated model with its precisions (latest entries), for pickers; ``most_commits`` is the
    precision evaluated at the most commits (the one whose history says most)."""
    where, params = ("WHERE suite = ?", [suite]) if suite else ("", [])
    return frame(home, f"""
        WITH shas AS (SELECT model_id, precision, count(*) AS n FROM leaderboard_revisions {where} GROUP BY ALL),
        top AS (SELECT model_id, arg_max(precision, {{'n': n, 'p': precision}}) AS most_commits
                FROM shas GROUP BY model_id)
        SELECT l.model_id, list(DISTINCT l.precision ORDER BY l.precision) AS precisions, max(l.average) AS best,
               any_value(t.most_commits) AS most_commits
        FROM leaderboard l LEFT JOIN top t USING (model_id) {where.replace("suite", "l.suite")}
        GROUP BY l.model_id ORDER BY l.model_id""", params * 2)


def model_info(home: Path, model: str) -> dict | None:
    """The model's row of the models table (hub metadata), or None for an unknown model."""
    df = frame(home, "SELECT * FROM models WHERE model_id = ?", [model])
    return df.row(0, named=True) if df.height else None


def model_runs(home: Path, model: str) -> pl.DataFrame:
    """Every run of a model, newest first."""
    return frame(home, """
        SELECT suite, precision, left(sha, 10) AS sha, coalesce(finished_at, ingested_at) AS finished_at, average,
               model_type, use_chat_template, lm_eval_version, duration_s, device, origin, run_id, request_id,
               samples_file
        FROM runs WHERE model_id = ? ORDER BY finished_at DESC, run_id""", [model])


NOT_SCORES = ("sample_len", "sample_count", "samples", "alias")  # lm-eval bookkeeping stored beside scores


def run_task_scores(home: Path, run_id: str) -> pl.DataFrame:
    """Every stored score of one run: task, metric and filter, with its value, stderr and normalized value.
    lm-eval's bookkeeping values (``sample_len`` ...) are no scores and are left out."""
    return frame(home, f"""
        SELECT benchmark, task, metric, filter, value, stderr, normalized, n_samples
        FROM scores WHERE run_id = ? AND metric NOT IN ({", ".join("?" * len(NOT_SCORES))})
        ORDER BY benchmark NULLS LAST, task, metric, filter""", [run_id, *NOT_SCORES])


def run_benchmarks(home: Path, run_id: str) -> pl.DataFrame:
    """One run's benchmark scores and its average (normalized), each with its standard error and 95%
    interval where the run has one (computed at ingest)."""
    return frame(home, """
        WITH s AS (SELECT benchmark, normalized FROM benchmark_scores WHERE run_id = ?
                   UNION ALL SELECT 'average', average FROM runs WHERE run_id = ?)
        SELECT s.benchmark, s.normalized, i.se, i.ci_low, i.ci_high, i.method
        FROM s LEFT JOIN (SELECT * FROM run_intervals WHERE run_id = ?) i USING (benchmark)
        ORDER BY s.benchmark = 'average', s.benchmark""", [run_id, run_id, run_id])


def model_requests(home: Path, model: str) -> pl.DataFrame:
    """Every evaluation request of a model as the warehouse last heard of it, newest first."""
    return frame(home, """
        SELECT request_id, status, precision, weight_type, model_type, revision, left(sha, 10) AS sha,
               submitted_time, failure_kind, failure_reason, attempts, progress, progress_task, source, log_tail
        FROM requests WHERE model_id = ? ORDER BY submitted_time DESC NULLS LAST, request_id""", [model])


def request_history(home: Path, request_id: str) -> pl.DataFrame:
    """One request's status changes, in order."""
    return frame(home, "SELECT seq, status, changed_at, reason, origin FROM request_events "
                       "WHERE request_id = ? ORDER BY seq", [request_id])


def model_flags(home: Path, model: str | None = None) -> pl.DataFrame:
    """Flags (of one model, or all), newest first, each with its comments as a list of structs."""
    where, params = ("WHERE f.model_id = ?", [model]) if model else ("", [])
    return frame(home, f"""
        SELECT f.flag_id, f.model_id, f.kind, f.reason, f.author, f.created_at, f.status, f.closed_by, f.closed_at,
               f.close_reason, list(struct_pack(author := c.author, body := c.body, created_at := c.created_at) ORDER BY c.seq)
                   FILTER (WHERE c.seq IS NOT NULL) AS comments
        FROM flags f LEFT JOIN flag_comments c USING (flag_id) {where}
        GROUP BY f.flag_id, f.model_id, f.kind, f.reason, f.author, f.created_at, f.status, f.closed_by, f.closed_at,
                 f.close_reason
        ORDER BY f.status = 'open' DESC, f.created_at DESC""", params)
