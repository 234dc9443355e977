"""The prebuilt read tables, refreshed by the writer before each snapshot it publishes.

``runs_wide``: one row per run, its metadata and one column per benchmark (normalized 0..100,
``<key>_raw`` 0..1, ``<key>_stderr``), physically ordered by model, precision and time, so the
per-model pages (``sha_history``, ``quantization_comparison``) read a few row groups instead of
pivoting the long ``benchmark_scores``.
``leaderboard``: one row per suite, model and precision: its latest run (by finish time), with the
benchmark columns, the average, model metadata, the number of runs behind the entry, whether the model
is flagged, and lower-cased ``model_key`` / ``license_key`` for search. The rank in the whole suite
(``static_rank``) is not stored: one new entry would shift every rank below it, so a refresh would cost
the size of the table; readers count it from the suite's sorted averages (``queries.rankings``). Physically ordered by suite then average (best first), so a first page reads a prefix.
``leaderboard_revisions``: the same, one row per suite, model, precision and sha.

``rebuild(con)`` builds all three from scratch. Between full rebuilds the writer adds each new run's
``runs_wide`` row in the transaction that stores the run (``append_runs``), and ``rebuild(con,
models=[...])`` replaces only the leaderboard rows of the models a writer session touched, then re-ranks
nothing else, so its cost follows the size of the change, not of the warehouse. Rows a refresh appends land after the ordered part; once
they are more than ``RESORT_SHARE`` of a table, the table is rewritten in order. A refresh of more than
``mirror.BULK_KEYS`` models and ``mirror.BULK_SHARE`` of a table (a large import) rewrites it whole, in order, instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from core.suites import SUITES
from warehouse.curation import HIDDEN_RUNS
from warehouse.mirror import KEYED_MARK, bulk

TABLES = {"leaderboard": "suite, model_id, precision",
          "leaderboard_revisions": "suite, model_id, precision, sha"}
ORDER = {"runs_wide": "model_id, precision, run_at, run_id",
         "leaderboard": "suite, average DESC NULLS LAST, model_id, precision",
         "leaderboard_revisions": "suite, average DESC NULLS LAST, model_id, precision, sha"}
ENTRY_COLUMNS = ("suite", "model_id", "precision", "sha", "run_id", "request_id", "n_runs", "average", "ci_low",
                 "ci_high", "static_rank",  # static_rank: counted by the reader (COMPUTED_COLUMNS), not stored
                 "model_type", "weight_type", "params_b", "license", "architecture", "base_model", "merged", "moe",
                 "hub_hearts", "available_on_hub", "flagged", "use_chat_template", "finished_at", "co2_kg", "origin")
"""The leaderboard tables' columns before the benchmark columns (then ``model_key``, ``license_key``, and
``FLAG_COLUMNS``). Removed runs (``curation.HIDDEN_RUNS``) make no entry; ``flagged``: a maintainer
confirmed a flag on the model; ``model_key`` holds the earlier names too, so a search finds them."""
COMPUTED_COLUMNS = ("static_rank",)
FLAG_COLUMNS = ("open_flag", "renamed_from")
"""The newest open flag's id (a badge linking to its thread) and the model's earlier names (", ")."""
RESORT_SHARE = 0.2  # rewrite a table in order once this share of its rows was appended since
INDEXED = ("runs_wide", *TABLES)
"""Each has an index on model_id: a refresh, and a snapshot's catch-up, find a model's rows through it (a scan
of the column grows with the table; a ``SELECT *`` filtered on it read every column of every row group)."""
RUN_FIELDS = ("run_id, request_id, model_id, sha, precision, weight_type, model_type, use_chat_template, suite, "
              "finished_at, ingested_at, coalesce(finished_at, ingested_at) AS run_at, params_b, co2_kg, average, origin")


def benchmark_keys() -> list[str]:
    keys: list[str] = []
    for s in SUITES.values():
        keys.extend(b.key for b in s.benchmarks if b.key not in keys)
    return keys


def benchmark_fields(key: str) -> list[str]:
    """The leaderboard columns of one benchmark: normalized, raw and stderr."""
    return [key, f"{key}_raw", f"{key}_stderr"]


def _runs_wide_sql() -> str:
    """One runs_wide row per run, its benchmark columns pivoted from ``benchmark_scores``, and its average's
    95% interval (``ci_low``, ``ci_high``) from ``run_intervals`` (a full rebuild; ``append_runs`` adds new runs')."""
    pivots = ",\n        ".join(
        f"max(b.normalized) FILTER (WHERE b.benchmark = '{k}') AS \"{k}\", "
        f"max(b.raw) FILTER (WHERE b.benchmark = '{k}') AS \"{k}_raw\", "
        f"max(b.stderr) FILTER (WHERE b.benchmark = '{k}') AS \"{k}_stderr\""
        for k in benchmark_keys()
    )
    return f"""
    WITH wide AS (SELECT b.run_id, {pivots} FROM benchmark_scores b GROUP BY b.run_id),
    ci AS (SELECT run_id, ci_low, ci_high FROM run_intervals WHERE benchmark = 'average')
    SELECT {RUN_FIELDS}, ci.ci_low, ci.ci_high, wide.* EXCLUDE (run_id)
    FROM runs r LEFT JOIN wide USING (run_id) LEFT JOIN ci USING (run_id)
    """


def append_runs(con: duckdb.DuckDBPyConnection, runs: str, scores: pa.Table, intervals: pa.Table) -> None:
    """Add the runs_wide rows of new runs (``runs``: their rows as in the runs table, with ``ingested_at``;
    ``scores``, ``intervals``: their benchmark_scores and run_intervals rows), inside the writer's
    transaction that inserts them. Runs are never changed once stored, so runs_wide only ever gains rows
    between full rebuilds. The benchmark columns are pivoted with Arrow (a tenth of the SQL pivot's time)."""
    con.register("_wide", _wide_columns(scores, intervals))
    try:
        con.execute(f"INSERT INTO runs_wide BY NAME SELECT {RUN_FIELDS}, w.* EXCLUDE (run_id) "
                    f"FROM {runs} r LEFT JOIN _wide w USING (run_id)")
    finally:
        con.unregister("_wide")


def _wide_columns(scores: pa.Table, intervals: pa.Table) -> pa.Table:
    """One row per run of ``scores`` and ``intervals``: its average's interval (``ci_low``, ``ci_high``) and its
    benchmark columns (``benchmark_fields``; null where the run has no such score), as ``_runs_wide_sql``
    pivots them. A run has at most one row per benchmark in each table (their keys)."""
    run_ids = pc.unique(pa.chunked_array([scores["run_id"], intervals["run_id"]], pa.string()))
    columns = {"run_id": run_ids}

    def pick(table: pa.Table, benchmark: str, names: dict[str, str]) -> None:
        rows = table.filter(pc.equal(table["benchmark"], benchmark))
        at = pc.index_in(run_ids, rows["run_id"])  # each run's row (null: none)
        for field, name in names.items():
            columns[name] = rows[field].take(at)

    pick(intervals, "average", {"ci_low": "ci_low", "ci_high": "ci_high"})
    for key in benchmark_keys():
        pick(scores, key, dict(zip(("normalized", "raw", "stderr"), benchmark_fields(key), strict=True)))
    return pa.table(columns)


INLINE_MODELS = 256  # up to this many touched models go in the SQL as a constant list (the scans skip by it)


def _entries_sql(partition: str, touched: int | None = None) -> str:
    """The entries of every model, or (``touched``: how many) of the touched models alone: then every
    table is read through a filter on those models, so the cost follows their rows, not the warehouse.
    Up to INLINE_MODELS they are a list of parameters (``touched`` ``?``s, in each of the 4 places, in
    order), which lets a scan skip the row groups of other models; more are read from ``_touched``."""
    if touched is None:
        mine = "true"
    elif touched <= INLINE_MODELS:
        mine = f"model_id IN ({', '.join('?' * touched)})"
    else:
        mine = "model_id IN (SELECT model_id FROM _touched)"
    columns = ", ".join(f'l."{c}"' for k in benchmark_keys() for c in benchmark_fields(k))
    return f"""
    WITH latest AS (
        SELECT *, count(*) OVER (PARTITION BY {partition}) AS n_runs
        FROM runs_wide
        WHERE {mine} AND run_id NOT IN ({HIDDEN_RUNS})
        QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY run_at DESC, ingested_at DESC, run_id) = 1
    ),
    flag_states AS (SELECT model_id, count(*) FILTER (WHERE status = 'confirmed') AS confirmed,
                           arg_max(flag_id, created_at) FILTER (WHERE status = 'open') AS open_flag
                    FROM flags WHERE {mine} GROUP BY model_id),
    aliases AS (SELECT new_id AS model_id, string_agg(old_id, ', ' ORDER BY renamed_at) AS renamed_from
                FROM model_renames WHERE {mine.replace("model_id IN", "new_id IN")} GROUP BY new_id)
    SELECT
        l.suite, l.model_id, l.precision, l.sha, l.run_id, l.request_id, l.n_runs,
        l.average, l.ci_low, l.ci_high,
        coalesce(l.model_type, m.model_type) AS model_type,
        coalesce(l.weight_type, m.weight_type, 'Original') AS weight_type,
        coalesce(l.params_b, m.params_b) AS params_b,
        m.license, m.architecture, m.base_model,
        coalesce(m.merged, false) OR coalesce(l.model_type, m.model_type) = 'merge' AS merged,
        coalesce(m.moe, false) AS moe,
        m.hub_hearts, m.available_on_hub,
        coalesce(f.confirmed, 0) > 0 AS flagged,
        l.use_chat_template, l.finished_at, l.co2_kg, l.origin,
        {columns},
        lower(l.model_id || coalesce(chr(10) || a.renamed_from, '')) AS model_key,
        lower(coalesce(m.license, '')) AS license_key, f.open_flag, a.renamed_from
    FROM latest l
    LEFT JOIN (SELECT * FROM models WHERE {mine}) m ON m.model_id = l.model_id
    LEFT JOIN flag_states f ON f.model_id = l.model_id
    LEFT JOIN aliases a ON a.model_id = l.model_id
    """


def exists(con: duckdb.DuckDBPyConnection) -> bool:
    names = ("runs_wide", *TABLES)
    found = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name IN (SELECT unnest(?)) "
                        "AND database_name = current_database()", [list(names)]).fetchall()[0][0]
    return found == len(names)


def _set_ordered(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Remember how many rows of `table` are in order (its size right after an ordered rewrite)."""
    con.execute("INSERT OR REPLACE INTO meta SELECT ?, count(*)::VARCHAR FROM " + table, [f"ordered_rows:{table}"])


def _resort_if_needed(con: duckdb.DuckDBPyConnection, table: str) -> None:
    found = con.execute("SELECT value FROM meta WHERE key = ?", [f"ordered_rows:{table}"]).fetchall()
    ordered = int(found[0][0]) if found else 0
    total = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    if total - ordered > RESORT_SHARE * max(ordered, 1):
        _create(con, table, f"SELECT * FROM {table} ORDER BY {ORDER[table]}")


def _create(con: duckdb.DuckDBPyConnection, table: str, select: str) -> None:
    """(Re)write ``table`` as ``select`` (in order), with its index (``INDEXED``)."""
    con.execute(f"CREATE OR REPLACE TABLE {table} AS {select}")
    _set_ordered(con, table)
    index(con, table)


def index(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """The model_id index of one of the ``INDEXED`` tables (a table written before they were kept gets it)."""
    con.execute(f"CREATE INDEX IF NOT EXISTS {table}_model_id ON {table} (model_id)")


def rebuild(con: duckdb.DuckDBPyConnection, models: Sequence[str] | None = None) -> None:
    """Build the read tables from scratch, or (``models`` given) refresh only those models' leaderboard
    rows (their runs_wide rows are kept current by ``append_runs``)."""
    if models is None or not exists(con):
        _create(con, "runs_wide", f"{_runs_wide_sql()} ORDER BY {ORDER['runs_wide']}")
        for table, partition in TABLES.items():
            _create(con, table, f"{_entries_sql(partition)} ORDER BY {ORDER[table]}")
        return
    if not models:
        return
    for table in INDEXED:
        index(con, table)
    con.register("_touched", pa.table({"model_id": pa.array(list(models), pa.string())}))
    try:
        con.execute("BEGIN")
        for table, partition in TABLES.items():
            # keyed: the writer records the touched models, so a read snapshot replaces their rows alone
            inline = list(models) if len(models) <= INLINE_MODELS else []
            among = f"model_id IN ({', '.join('?' * len(inline))})" if inline else \
                "model_id IN (SELECT model_id FROM _touched)"
            if bulk(con, table, len(models)):  # rewritten whole, in order: cheaper than replacing rows all over it
                _create(con, table, f"SELECT * FROM {table} WHERE NOT {among} UNION ALL "
                                    f"SELECT * FROM ({_entries_sql(partition, touched=len(models))}) "
                                    f"ORDER BY {ORDER[table]}")
                continue
            con.execute(f"{KEYED_MARK}DELETE FROM {table} WHERE {among}", inline)
            con.execute(f"{KEYED_MARK}INSERT INTO {table} {_entries_sql(partition, touched=len(models))}", inline * 4)
        for table in ORDER:
            _resort_if_needed(con, table)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_touched")
