"""The prebuilt read tables, rebuilt by the writer after each ingest batch.

``leaderboard``: one row per suite, model and precision: its latest run (by finish time), with one
column per benchmark (normalized 0..100, and ``<key>_raw`` 0..1), the average, model metadata, the
number of runs behind the entry, the static rank within the suite, and whether the model is flagged.
``leaderboard_revisions``: the same, one row per suite, model, precision and sha.
"""

from __future__ import annotations

import duckdb

from warehouse.benchmarks import LEADERBOARD_V1, LEADERBOARD_V2, offline_suite


def benchmark_keys() -> list[str]:
    keys: list[str] = []
    for s in (LEADERBOARD_V2, offline_suite(), LEADERBOARD_V1):
        keys.extend(b.key for b in s.benchmarks if b.key not in keys)
    return keys


def _entries_sql(partition: str) -> str:
    pivots = ",\n        ".join(
        f"max(b.normalized) FILTER (WHERE b.benchmark = '{k}') AS \"{k}\", "
        f"max(b.raw) FILTER (WHERE b.benchmark = '{k}') AS \"{k}_raw\", "
        f"max(b.stderr) FILTER (WHERE b.benchmark = '{k}') AS \"{k}_stderr\""
        for k in benchmark_keys()
    )
    return f"""
    WITH ranked AS (
        SELECT r.*,
               row_number() OVER w AS rn,
               count(*) OVER (PARTITION BY {partition}) AS n_runs
        FROM runs r
        WHERE r.model_id NOT IN (SELECT model_id FROM model_removals)
        WINDOW w AS (PARTITION BY {partition}
                     ORDER BY coalesce(r.finished_at, r.ingested_at) DESC, r.ingested_at DESC, r.run_id)
    ),
    latest AS (SELECT * FROM ranked WHERE rn = 1),
    wide AS (
        SELECT b.run_id,
        {pivots}
        FROM benchmark_scores b JOIN latest USING (run_id)
        GROUP BY b.run_id
    ),
    open_flags AS (SELECT model_id, count(*) AS n FROM flags WHERE status = 'open' GROUP BY model_id)
    SELECT
        l.suite, l.model_id, l.precision, l.sha, l.run_id, l.request_id, l.n_runs,
        l.average,
        rank() OVER (PARTITION BY l.suite ORDER BY l.average DESC NULLS LAST) AS static_rank,
        coalesce(l.model_type, m.model_type) AS model_type,
        coalesce(l.weight_type, m.weight_type, 'Original') AS weight_type,
        coalesce(l.params_b, m.params_b) AS params_b,
        m.license, m.architecture, m.base_model,
        coalesce(m.merged, false) OR coalesce(l.model_type, m.model_type) = 'merge' AS merged,
        coalesce(m.moe, false) AS moe,
        m.hub_hearts, m.available_on_hub,
        coalesce(f.n, 0) > 0 AS flagged,
        l.use_chat_template, l.finished_at, l.co2_kg, l.origin,
        wide.* EXCLUDE (run_id)
    FROM latest l
    LEFT JOIN wide USING (run_id)
    LEFT JOIN models m ON m.model_id = l.model_id
    LEFT JOIN open_flags f ON f.model_id = l.model_id
    """


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE OR REPLACE TABLE leaderboard AS " + _entries_sql("r.suite, r.model_id, r.precision"))
    con.execute(
        "CREATE OR REPLACE TABLE leaderboard_revisions AS " + _entries_sql("r.suite, r.model_id, r.precision, r.sha")
    )
