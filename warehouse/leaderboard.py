"""The prebuilt read tables, refreshed by the writer before each snapshot it publishes.

``leaderboard``: one row per suite, model and precision: its latest run (by finish time), with one
column per benchmark (normalized 0..100, and ``<key>_raw`` 0..1), the average, model metadata, the
number of runs behind the entry, the static rank within the suite, and whether the model is flagged.
``leaderboard_revisions``: the same, one row per suite, model, precision and sha.

``rebuild(con)`` builds both from scratch; ``rebuild(con, models=[...])`` replaces only the rows of
the models a writer session touched, then re-ranks the suites they are in, so its cost follows the
size of the change, not of the warehouse.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

from warehouse.benchmarks import LEADERBOARD_V1, LEADERBOARD_V2, offline_suite

TABLES = {"leaderboard": "r.suite, r.model_id, r.precision",
          "leaderboard_revisions": "r.suite, r.model_id, r.precision, r.sha"}


def benchmark_keys() -> list[str]:
    keys: list[str] = []
    for s in (LEADERBOARD_V2, offline_suite(), LEADERBOARD_V1):
        keys.extend(b.key for b in s.benchmarks if b.key not in keys)
    return keys


def _entries_sql(partition: str, only_touched: bool = False) -> str:
    pivots = ",\n        ".join(
        f"max(b.normalized) FILTER (WHERE b.benchmark = '{k}') AS \"{k}\", "
        f"max(b.raw) FILTER (WHERE b.benchmark = '{k}') AS \"{k}_raw\", "
        f"max(b.stderr) FILTER (WHERE b.benchmark = '{k}') AS \"{k}_stderr\""
        for k in benchmark_keys()
    )
    touched = "AND r.model_id IN (SELECT model_id FROM _touched)" if only_touched else ""
    return f"""
    WITH ranked AS (
        SELECT r.*,
               row_number() OVER w AS rn,
               count(*) OVER (PARTITION BY {partition}) AS n_runs
        FROM runs r
        WHERE r.model_id NOT IN (SELECT model_id FROM model_removals) {touched}
        WINDOW w AS (PARTITION BY {partition}
                     ORDER BY coalesce(r.finished_at, r.ingested_at) DESC, r.ingested_at DESC, r.run_id)
    ),
    latest AS (SELECT * FROM ranked WHERE rn = 1),
    wide AS (
        SELECT b.run_id,
        {pivots}
        FROM benchmark_scores b SEMI JOIN latest USING (run_id)
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


def exists(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('leaderboard', "
                        "'leaderboard_revisions') AND database_name = current_database()").fetchall()[0][0]
    return found == len(TABLES)


def rebuild(con: duckdb.DuckDBPyConnection, models: Sequence[str] | None = None) -> None:
    """Build the read tables from scratch, or (``models`` given) refresh only those models' rows."""
    if models is None or not exists(con):
        for table, partition in TABLES.items():
            con.execute(f"CREATE OR REPLACE TABLE {table} AS {_entries_sql(partition)}")
        return
    if not models:
        return
    con.register("_touched", pa.table({"model_id": pa.array(list(models), pa.string())}))
    try:
        con.execute("BEGIN")
        for table, partition in TABLES.items():
            con.execute(f"DELETE FROM {table} WHERE model_id IN (SELECT model_id FROM _touched)")
            con.execute(f"INSERT INTO {table} {_entries_sql(partition, only_touched=True)}")
            # A new or moved entry shifts the static rank of the entries below it in its suite.
            con.execute(f"""
                UPDATE {table} SET static_rank = x.rk FROM (
                    SELECT rowid AS rid, rank() OVER (PARTITION BY suite ORDER BY average DESC NULLS LAST) AS rk
                    FROM {table}
                ) x
                WHERE {table}.rowid = x.rid AND {table}.static_rank IS DISTINCT FROM x.rk
            """)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_touched")
