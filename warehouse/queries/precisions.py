"""How one model's precisions compare: the latest run of each precision (one definition, behind both the
Quantization page and `llmboard quantization`), their scores side by side, and memory against score."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import polars as pl

from core.suites import suite as suite_by_name
from core.vocabulary import BYTES_PER_PARAM, REFERENCE_ORDER
from warehouse.queries.snapshot import frame, quote
from warehouse.queries.suites import benchmark_columns, default_suite

LATEST_FIRST = "run_at DESC, ingested_at DESC, run_id"
"""Runs of ``runs_wide``, latest first: by run time (finish, else ingest), then ingest time, then run id.
The leaderboard picks an entry's run by the same order (``warehouse.leaderboard``)."""
AT_SHA_PREFIX = "AND starts_with(sha, ?)"  # a commit as the pages show it (its first 10 characters)
AT_SHA = "AND sha IS NOT DISTINCT FROM ?"  # one exact commit, or the runs without a sha


class PrecisionRun(NamedTuple):
    """The run that stands for one precision of a model in a comparison."""
    precision: str
    run_id: str
    sha: str | None
    average: float | None


def by_reference_order(precisions: Iterable[str]) -> list[str]:
    """Highest precision first (core.vocabulary.REFERENCE_ORDER), then any other by name: the
    first one found is the reference a quantized run is compared with."""
    found = set(precisions)
    return [p for p in REFERENCE_ORDER if p in found] + sorted(found - set(REFERENCE_ORDER))


def _latest_runs_sql(sha_condition: str = "") -> str:
    """The ``runs_wide`` rows of the latest run (LATEST_FIRST) of each precision of one model in one suite,
    with ``precision_order`` (position in REFERENCE_ORDER; 99 for any other). Parameters: REFERENCE_ORDER
    as a list, the model, the suite, then the sha condition's (AT_SHA_PREFIX, AT_SHA or none)."""
    return f"""
        SELECT *, coalesce(list_position(?, precision), 99) AS precision_order FROM runs_wide
        WHERE model_id = ? AND suite = ? {sha_condition}
        QUALIFY row_number() OVER (PARTITION BY precision ORDER BY {LATEST_FIRST}) = 1"""


def latest_runs(home: Path, model: str, *, sha: str | None = None, suite: str | None = None) -> list[PrecisionRun]:
    """The latest run of each precision of a model (at commits starting with `sha`, else at any commit),
    highest precision first. `suite` defaults to the first suite the warehouse holds."""
    suite = suite or default_suite(home)
    condition, extra = (AT_SHA_PREFIX, [sha]) if sha else ("", [])
    df = frame(home, f"SELECT {', '.join(PrecisionRun._fields)} FROM ({_latest_runs_sql(condition)}) "
                     "ORDER BY precision_order, precision", [list(REFERENCE_ORDER), model, suite, *extra])
    return [PrecisionRun(*row) for row in df.iter_rows()] if df.height else []


def precision_scores(home: Path, model: str, sha: str | None = None, suite: str | None = None) -> pl.DataFrame:
    """Long form, one row per precision and benchmark: the latest run of the model in each precision (as
    `latest_runs`: at commits starting with `sha`, else each precision's latest), normalized and raw score,
    and a normalized stderr where the benchmark is read from one task whose stderr is known."""
    suite = suite or default_suite(home)
    try:
        benchmarks = {b.key: b for b in suite_by_name(suite).benchmarks}
    except KeyError:
        benchmarks = {}
    condition, extra = (AT_SHA_PREFIX, [sha]) if sha else ("", [])
    df = frame(home, f"""
        WITH latest AS ({_latest_runs_sql(condition)}),
        task_err AS (
            SELECT run_id, benchmark, any_value(stderr) AS stderr, count(DISTINCT task) AS n_tasks
            FROM scores WHERE stderr IS NOT NULL AND run_id IN (SELECT run_id FROM latest)
              AND metric NOT LIKE '%inst_level%'
            GROUP BY run_id, benchmark
        )
        SELECT l.precision, l.sha, l.run_id, l.average, b.benchmark, b.normalized, b.raw,
               coalesce(b.stderr, CASE WHEN t.n_tasks = 1 THEN t.stderr END) AS raw_stderr
        FROM latest l JOIN benchmark_scores b USING (run_id)
        LEFT JOIN task_err t ON t.run_id = l.run_id AND t.benchmark = b.benchmark
        ORDER BY l.precision, b.benchmark""", [list(REFERENCE_ORDER), model, suite, *extra])
    if df.height == 0:
        return df
    order = {k: i for i, k in enumerate(benchmarks)}
    scale = {k: 100.0 / (1.0 - (b.baseline if b.rule == "group" else 0.0)) for k, b in benchmarks.items()}
    return (df.with_columns(
        stderr=pl.col("raw_stderr") * pl.col("benchmark").replace_strict(scale, default=100.0, return_dtype=pl.Float64),
        display=pl.col("benchmark").replace_strict(dict(benchmark_columns(suite)), default=pl.col("benchmark")),
        order=pl.col("benchmark").replace_strict(order, default=99, return_dtype=pl.Int64),
    ).sort("order", "precision").drop("order"))


def precision_memory(home: Path, suite: str) -> pl.DataFrame:
    """Each leaderboard entry's average against the memory its weights take (params × bytes per parameter)."""
    cases = " ".join(f"WHEN '{p}' THEN {b}" for p, b in BYTES_PER_PARAM.items())
    return frame(home, f"""
        SELECT model_id, precision, average, params_b, params_b * (CASE precision {cases} END) AS weight_gb
        FROM leaderboard WHERE suite = ? AND params_b IS NOT NULL AND average IS NOT NULL
          AND precision IN ({', '.join('?' * len(BYTES_PER_PARAM))})
        ORDER BY precision, model_id""", [suite, *BYTES_PER_PARAM])


def _compared_commit(home: Path, model: str, sha: str | None, suite: str | None) -> tuple[str, str | None] | None:
    """(suite, sha) of the model's latest run, among its runs at `sha` and in `suite` where given."""
    where, params = ["model_id = ?"], [model]
    for column, value in (("sha", sha), ("suite", suite)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    found = frame(home, f"SELECT suite, sha FROM runs_wide WHERE {' AND '.join(where)} "
                        f"ORDER BY {LATEST_FIRST} LIMIT 1", params)
    return (found["suite"][0], found["sha"][0]) if found.height else None


def quantization_comparison(home: Path, model: str, sha: str | None = None, suite: str | None = None) -> pl.DataFrame:
    """Every precision one model was run in, side by side, per benchmark and for the average.

    For one sha (default: the sha of the model's latest run), the latest run per precision (as
    `latest_runs`); `delta` is the score minus the reference's, the reference being the model's highest
    precision there (float32 > bfloat16 > float16 > 8bit > 4bit > gguf, then any other). One row per
    precision and benchmark, benchmarks in the suite's column order then `average`, highest precision first.
    Reads ``runs_wide`` (ordered by model).
    """
    commit = _compared_commit(home, model, sha, suite)
    if commit is None:
        return pl.DataFrame()
    suite, sha = commit
    columns = [*benchmark_columns(suite), ("average", "Average")]
    order = pl.DataFrame({"benchmark": [k for k, _ in columns], "display": [d for _, d in columns],
                          "column_order": list(range(len(columns)))})
    keys = [k for k, _ in columns[:-1]]
    unpivot = " UNION ALL ".join(
        [f"SELECT precision, precision_order, run_id, finished_at, '{k}' AS benchmark, {quote(k)} AS score, "
         f"{quote(k + '_raw')} AS raw FROM latest WHERE {quote(k)} IS NOT NULL OR {quote(k + '_raw')} IS NOT NULL"
         for k in keys]
        + ["SELECT precision, precision_order, run_id, finished_at, 'average', average, NULL FROM latest"])
    sql = f"""
        WITH latest AS ({_latest_runs_sql(AT_SHA)}),
        scores AS ({unpivot}),
        ref AS (SELECT precision FROM latest ORDER BY precision_order, precision LIMIT 1)
        SELECT s.precision, s.run_id, s.finished_at, s.benchmark, s.score, s.raw,
               ref.precision AS reference_precision, r.score AS reference_score, s.score - r.score AS delta,
               s.precision IS NOT DISTINCT FROM ref.precision AS is_reference, s.precision_order
        FROM scores s CROSS JOIN ref
        LEFT JOIN scores r ON r.benchmark = s.benchmark AND r.precision IS NOT DISTINCT FROM ref.precision
    """
    out = frame(home, sql, [list(REFERENCE_ORDER), model, suite, sha])
    if not out.height:
        return out
    out = out.join(order, on="benchmark", how="inner").with_columns(pl.lit(sha).alias("sha"))
    return out.sort(["column_order", "precision_order", "precision"]).drop("column_order", "precision_order")
