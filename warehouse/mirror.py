"""Read snapshots kept up to date by applying each session's changes, not by copying the warehouse.

A publish used to copy the whole warehouse file to a new snapshot: its cost grew with the warehouse
(0.85 s at 1M runs). Now the writer brings an older snapshot file up to date instead, through the
connection it already holds (``ATTACH``), and renames it to the new version: the cost follows the size
of the change.

What changed is known because every write goes through the writer's connection, a ``TrackedConnection``,
which notes each statement's table and kind:

- ``append``: rows added (``INSERT INTO``). For the append-only tables (``APPEND_ONLY``, never deleted
  from) a snapshot takes the rows past the row count it saw last (their rowids).
- ``keyed``: rows of some keys replaced (a statement marked ``/* keyed */``, for the tables of ``KEYED``);
  a snapshot replaces the rows of the keys the writer recorded.
- ``modify`` / ``replace``: anything else (updates, deletes, a rewritten table): the snapshot copies the
  table whole. Small tables, or rare events (a rename, a full rebuild, a re-sort).

Each publish records its changes in ``snapshot_changes`` (version, table, kind, key), so a snapshot
several versions behind catches up on all of them. A snapshot file is never changed while it is current
or while a reader holds it (DuckDB's file lock refuses the writer): the oldest free one is updated under a
``.tmp`` name and renamed; a publish killed half-way leaves only that ``.tmp``, removed by the next. When no
snapshot can be brought up to date (none yet, all held, a session that ended without publishing, new
migrations), the publish copies the warehouse file as before.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

import duckdb
import pyarrow as pa

from warehouse.db import snapshot_path, snapshot_version

APPEND_ONLY = ("runs", "benchmark_scores", "scores", "run_intervals", "ingested_files", "runs_wide",
               "task_hash_sets")
KEYED = {"models": "model_id", "leaderboard": "model_id", "leaderboard_revisions": "model_id",
         "requests": "request_id", "request_events": "request_id"}
"""The key column of each table whose rows the writer replaces by key (statements marked ``KEYED_MARK``)."""
KEYED_MARK = "/* keyed */"
LOG = "snapshot_changes"  # the change log: not part of a snapshot
LOG_TYPES = (pa.int64(), pa.string(), pa.string(), pa.string())
STATE = "snapshot_state"  # in a snapshot alone: its version and each append-only table's row count then
KEEP_SNAPSHOTS = 3
VERIFY_ENV = "LLMBOARD_VERIFY_SNAPSHOTS"  # "1": after each update, compare every table with the warehouse

_INSERT = re.compile(r"^\s*INSERT\s+(?:OR\s+(IGNORE|REPLACE)\s+)?INTO\s+(\w+)", re.I)
_CHANGE = re.compile(r"^\s*(?:UPDATE\s+(\w+)|DELETE\s+FROM\s+(\w+))", re.I)
_DDL = re.compile(r"^\s*(?:CREATE\s+(?:OR\s+REPLACE\s+)?TABLE|DROP\s+TABLE(?:\s+IF\s+EXISTS)?|ALTER\s+TABLE)\s+(\w+)",
                  re.I)


class Published(NamedTuple):
    version: int
    copied: bool  # no snapshot could catch up: the warehouse file was copied


def statement_change(sql: str) -> tuple[str, str] | None:
    """(table, kind) of a statement that writes, else None."""
    body = sql.replace(KEYED_MARK, "")
    keyed = KEYED_MARK in sql
    if m := _INSERT.match(body):
        table = m.group(2).lower()
        if keyed:
            return table, "keyed"
        upsert = m.group(1) and m.group(1).upper() == "REPLACE" or re.search(r"ON\s+CONFLICT.*DO\s+UPDATE", body,
                                                                             re.I | re.S)
        return table, "modify" if upsert else "append"
    if m := _CHANGE.match(body):
        return (m.group(1) or m.group(2)).lower(), "keyed" if keyed else "modify"
    if m := _DDL.match(body):
        return m.group(1).lower(), "replace"
    return None


class TrackedConnection:
    """The writer's DuckDB connection, noting which tables each statement writes and how."""

    def __init__(self, con: duckdb.DuckDBPyConnection, before_first_write: Callable[[], object] | None = None):
        self._con = con
        self._before_first_write = before_first_write
        self.writes: dict[str, set[str]] = {}

    def _note(self, sql: str) -> None:
        change = statement_change(sql)
        if change and change[0] != LOG:
            if self._before_first_write is not None:
                self._before_first_write()
                self._before_first_write = None
            self.writes.setdefault(change[0], set()).add(change[1])

    def execute(self, sql: str, parameters=None):
        self._note(sql)
        return self._con.execute(sql) if parameters is None else self._con.execute(sql, parameters)

    def executemany(self, sql: str, parameters):
        self._note(sql)
        return self._con.executemany(sql, parameters)

    def sql(self, sql: str, **kwargs):
        self._note(sql)
        return self._con.sql(sql, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._con, name)


def record(con, version: int, writes: dict[str, set[str]], keys: dict[str, Iterable[str]]) -> None:
    """Log this publish's changes under ``version`` (a 'publish' row even when nothing changed)."""
    rows: list[tuple] = [(version, "", "publish", None)]
    for table, kinds in sorted(writes.items()):
        for kind in sorted(kinds):
            if kind == "keyed":
                rows += [(version, table, "keyed", k) for k in sorted(set(keys.get(table, ())))]
                rows.append((version, table, "keyed", None))  # the table changed, even for no key
            else:
                rows.append((version, table, kind, None))
    con.execute(f"CREATE TABLE IF NOT EXISTS {LOG} (version BIGINT, table_name VARCHAR, kind VARCHAR, key VARCHAR)")
    # as one Arrow frame: a large import logs tens of thousands of keys, and executemany goes row by row
    con.register("_log", pa.table([pa.array(c, t) for c, t in zip(zip(*rows, strict=True), LOG_TYPES,
                                                                   strict=True)], names=["v", "t", "k", "key"]))
    try:
        con.execute(f"INSERT INTO {LOG} SELECT * FROM _log")
    finally:
        con.unregister("_log")


def prune(con, oldest_kept: int) -> None:
    """Forget the changes no kept snapshot needs any more."""
    con.execute(f"DELETE FROM {LOG} WHERE version <= ?", [oldest_kept])


def candidates(snapshots: Path, current: int) -> list[tuple[int, Path]]:
    """The snapshot files a publish may bring up to date: every one but the current, oldest first."""
    found = []
    for p in snapshots.glob("warehouse-*.duckdb"):
        try:
            v = int(p.stem.split("-")[1])
        except (IndexError, ValueError):
            continue
        if v != current:
            found.append((v, p))
    return sorted(found)


def open_in_this_process(path: Path) -> bool:
    """Whether this process holds ``path`` open (a reader of this process reading that snapshot)."""
    try:
        target = os.stat(path)
    except FileNotFoundError:
        return False
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:  # no /proc (not Linux): cannot tell, so take it as held (the publish then copies)
        return True
    for fd in fds:
        try:
            st = os.stat(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == (target.st_dev, target.st_ino):
            return True
    return False


def logged(con, version: int) -> bool:
    """Whether the changes since ``version`` are all in the log (its publish is)."""
    return con.execute(f"SELECT count(*) FROM {LOG} WHERE version = ? AND kind = 'publish'",
                       [version]).fetchall()[0][0] > 0


def catch_up(con, target: Path, since: int, version: int) -> bool:
    """Bring the snapshot file ``target`` (at version ``since``) up to the warehouse's state (``version``),
    through the writer's connection ``con``. False (and ``target`` unchanged) when it cannot: held by a
    reader, not made by this scheme, or its changes no longer logged."""
    if not logged(con, since):
        return False
    try:
        con.execute("ATTACH ? AS snap", [str(target)])
    except duckdb.Error:  # a reader holds it (its lock), or it is not a database
        return False
    try:
        state = dict(con.execute(f"SELECT table_name, rows FROM snap.{STATE}").fetchall()) \
            if STATE in _tables(con, "snap") else None
        if state is None or state.get("", -1) != since or _changed_columns(con):
            return False  # not made by this scheme, or before a migration changed a table's columns
        changes: dict[str, dict[str, set]] = {}
        for table, kind, key in con.execute(f"SELECT table_name, kind, key FROM {LOG} WHERE version > ? "
                                            "AND kind <> 'publish'", [since]).fetchall():
            changes.setdefault(table, {}).setdefault(kind, set()).add(key)
        con.execute("BEGIN")
        try:
            _apply(con, changes, state, version)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        if os.environ.get(VERIFY_ENV) == "1":
            verify(con)
        return True
    finally:
        con.execute("DETACH snap")


def _apply(con, changes: dict[str, dict[str, set]], state: dict[str, int], version: int) -> None:
    main_tables = _tables(con, None)
    snap_tables = _tables(con, "snap")
    for table in snap_tables - main_tables - {STATE}:
        con.execute(f"DROP TABLE snap.{table}")
    counts = {}
    for table in sorted(main_tables - {LOG}):
        kinds = changes.get(table, {})
        if table not in snap_tables or "replace" in kinds or "modify" in kinds \
                or ("append" in kinds and table not in APPEND_ONLY) or ("keyed" in kinds and table not in KEYED) \
                or bulk(con, table, len(kinds.get("keyed", ())), "snap."):
            con.execute(f"CREATE OR REPLACE TABLE snap.{table} AS SELECT * FROM {table}")
        else:
            if "keyed" in kinds:
                column, keys = KEYED[table], sorted(k for k in kinds["keyed"] if k is not None)
                if keys:
                    where, params = _among(column, keys)
                    con.execute(f"DELETE FROM snap.{table} WHERE {where}", params)
                    con.execute(f"INSERT INTO snap.{table} SELECT * FROM {table} WHERE {where}", params)
            if "append" in kinds:
                con.execute(f"INSERT INTO snap.{table} SELECT * FROM {table} WHERE rowid >= ?", [state.get(table, 0)])
        if table in APPEND_ONLY:
            counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    indexes = _indexes(con)
    for (db, table, name), columns in indexes.items():  # a table copied whole comes without them
        if db == "main" and ("snap", table, name) not in indexes:
            con.execute(f"CREATE INDEX {name} ON snap.{table} ({columns})")
    _write_state(con, "snap", version, counts)


def _indexes(con) -> dict[tuple[str, str, str], str]:
    """(database: 'main' for the warehouse, or 'snap'; table; index) -> its columns, of every index."""
    main = con.execute("SELECT current_database()").fetchall()[0][0]
    return {("main" if db == main else db, table, name): columns.strip("[]")
            for db, table, name, columns in con.execute(
                "SELECT database_name, table_name, index_name, expressions FROM duckdb_indexes()").fetchall()}


INLINE_KEYS = 256
BULK_KEYS, BULK_SHARE = 2000, 0.1
"""Above this many keys, and this share of a table's keys, a keyed table is rewritten or copied whole, not
changed row by row: deletions all over a table and its index's updates cost more at commit and checkpoint (a
20,000-model change of the leaderboard tables at 1M runs: 7.5 s caught up by key, 3.7 s copied whole), while a
change of a few thousand keys costs far less by key than a rewrite of a large table."""


def bulk(con, table: str, keys: int, database: str = "") -> bool:
    """Whether a change of ``keys`` keys of the ``KEYED`` ``table`` (in ``database``: "snap." for the snapshot
    attached) is cheaper done whole."""
    return keys > BULK_KEYS and keys > BULK_SHARE * con.execute(
        f"SELECT count(DISTINCT {KEYED[table]}) FROM {database}{table}").fetchall()[0][0]


def _among(column: str, keys: list[str]) -> tuple[str, list]:
    """``column`` among ``keys``: a list of parameters while short (a scan filters by it before it reads the
    other columns), else a join with the list."""
    if len(keys) <= INLINE_KEYS:
        return f"{column} IN ({', '.join('?' * len(keys))})", list(keys)
    return f"{column} IN (SELECT unnest(?))", [keys]


def _write_state(con, db: str, version: int | None, counts: dict[str, int]) -> None:
    """Record in a snapshot the row count of each append-only table it holds (and, given, its version)."""
    con.execute(f"CREATE TABLE IF NOT EXISTS {db}.{STATE} (table_name VARCHAR, rows BIGINT)")
    con.execute(f"DELETE FROM {db}.{STATE} WHERE table_name <> ''")
    con.executemany(f"INSERT INTO {db}.{STATE} VALUES (?, ?)", sorted(counts.items()))
    if version is not None:
        con.execute(f"DELETE FROM {db}.{STATE} WHERE table_name = ''")
        con.execute(f"INSERT INTO {db}.{STATE} VALUES ('', ?)", [version])


def stamp(con, target: Path, version: int) -> None:
    """Write the version (and the append-only tables' row counts, taken from the warehouse) into the snapshot
    file ``target``, whose contents equal the warehouse now."""
    present = _tables(con, None)
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in APPEND_ONLY if t in present}
    con.execute("ATTACH ? AS snap", [str(target)])
    try:
        con.execute(f"DROP TABLE IF EXISTS snap.{LOG}")
        _write_state(con, "snap", version, counts)
    finally:
        con.execute("DETACH snap")


def publish(con, warehouse: Path, snapshots: Path, writes: dict[str, set[str]], keys: dict[str, Iterable[str]],
            *, full: bool = False) -> Published:
    """Make the warehouse's state (checkpointed, on ``con``, the writer's connection) the current read
    snapshot; returns its version and whether the warehouse file was copied. Brings the oldest free snapshot up to date, or (``full``, or none can be)
    copies the warehouse file. Readers keep reading the snapshot they have until they see the new version."""
    snapshots.mkdir(parents=True, exist_ok=True)
    for left in snapshots.glob("*.tmp*"):  # a publish killed half-way (the caller holds the writer's lock)
        left.unlink(missing_ok=True)
    current = snapshot_version(snapshots)
    version = max(current, int(time.time() * 1000)) + 1
    record(con, version, writes, keys)
    con.execute("CHECKPOINT")
    tmp = snapshots / f"sync-{version}.tmp"
    updated = False
    for since, path in ([] if full else candidates(snapshots, current)):
        if not logged(con, since):  # made before this scheme, or its changes pruned: it can never catch up
            path.unlink(missing_ok=True)
            continue
        if open_in_this_process(path):  # a reader here: file locks do not guard within one process
            continue
        os.replace(path, tmp)
        if catch_up(con, tmp, since, version):
            updated = True
            break
        os.replace(tmp, path)
    if not updated:
        shutil.copyfile(warehouse, tmp)
        stamp(con, tmp, version)
    os.replace(tmp, snapshot_path(snapshots, version))
    current_tmp = snapshots / "CURRENT.tmp"
    current_tmp.write_text(str(version))
    os.replace(current_tmp, snapshots / "CURRENT")
    # Older snapshots go; a reader that still has one open keeps reading it (unlinked files stay readable).
    kept = sorted((v for v, _ in candidates(snapshots, -1)))
    for stale in kept[:-KEEP_SNAPSHOTS]:
        snapshot_path(snapshots, stale).unlink(missing_ok=True)
    prune(con, min(kept[-KEEP_SNAPSHOTS:]) - 1)
    return Published(version, copied=not updated)


def verify(con) -> None:
    """Every table of the attached snapshot ``snap`` holds the warehouse's rows (count and a hash of every
    row, in any order): for tests, which set LLMBOARD_VERIFY_SNAPSHOTS=1."""
    for table in sorted(_tables(con, None) - {LOG}):
        main = con.execute(f"SELECT count(*), sum(hash(t)) FROM (SELECT * FROM {table}) t").fetchall()[0]
        snap = con.execute(f"SELECT count(*), sum(hash(t)) FROM (SELECT * FROM snap.{table}) t").fetchall()[0]
        if main != snap:
            raise AssertionError(f"snapshot out of date: table {table}: warehouse {main}, snapshot {snap}")


def _changed_columns(con) -> bool:
    """Whether a table of both the warehouse and the attached snapshot ``snap`` has other columns (names, types,
    order) in one than in the other: a migration changed it after the snapshot was made."""
    main = con.execute("SELECT current_database()").fetchall()[0][0]
    columns: dict[str, dict[str, list[tuple[str, str]]]] = {main: {}, "snap": {}}
    for db, table, column, kind in con.execute(
            "SELECT database_name, table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE database_name IN (?, 'snap') ORDER BY table_name, column_index", [main]).fetchall():
        columns[db].setdefault(table, []).append((column, kind))
    return any(columns[main][t] != columns["snap"][t] for t in columns[main].keys() & columns["snap"].keys())


def _tables(con, database: str | None) -> set[str]:
    db = database or con.execute("SELECT current_database()").fetchall()[0][0]
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ?",
                                      [db]).fetchall()}
