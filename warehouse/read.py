"""The read path: a connection to the current read snapshot, reopened when a newer one is published.

Never opens the file the writer writes. A snapshot is a base file and, once something changed since
it, a small delta file (``warehouse.snapshots``): the connection attaches both read-only and names each
table as a view that combines them, so a query reads ``leaderboard`` or ``runs`` as if they were one
file. Checking for a new version is one small file read, so a query costs no connection set-up unless
the warehouse changed.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import duckdb
import polars as pl

from warehouse import snapshots as snaps
from warehouse.db import snapshot_version

RETRIES = 20


class Layout(NamedTuple):
    """How the open snapshot is split, for queries that read its parts directly (``queries.rankings``):
    ``masked`` holds, per ``ranked`` table, the base rowids the delta replaces; empty without a delta."""
    has_delta: bool
    masked: dict[str, frozenset[int]]


class Pinned(NamedTuple):
    cur: duckdb.DuckDBPyConnection
    layout: Layout


class Reader:
    def __init__(self, home: Path):
        self.home = Path(home)
        self.snapshots = self.home / "snapshots"
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._layout = Layout(False, {})
        self._version = 0

    @property
    def version(self) -> int:
        """The version of the newest published snapshot (0 when nothing was ingested yet)."""
        return snapshot_version(self.snapshots)

    def _connection(self) -> Pinned | None:
        snap = snaps.current(self.snapshots)
        if snap is None:
            return None
        with self._lock:
            if self._con is None or snap.version != self._version:
                self._open(snap)
            return Pinned(self._con.cursor(), self._layout)

    def _open(self, snap: snaps.Snapshot) -> None:
        """Open the snapshot `snap`; if a newer publish deleted its files meanwhile, open the newer one.

        Falls back to the snapshot already open rather than fail: a reader never fails because of the writer.
        """
        for attempt in range(RETRIES):
            try:
                con, layout = open_snapshot(self.snapshots, snap)
            except duckdb.Error:
                newer = snaps.current(self.snapshots) or snap
                if newer == snap:
                    time.sleep(0.01 * (attempt + 1))  # CURRENT not rewritten yet; the old files are going
                snap = newer
                continue
            # The old connection is not closed here: a query of another thread may be running on one of
            # its cursors. Dropping it lets DuckDB release that snapshot once its last cursor is closed.
            self._con, self._layout, self._version = con, layout, snap.version
            return
        if self._con is None:
            raise RuntimeError(f"{self.snapshots}: could not open snapshot {snap.version} after {RETRIES} tries")

    @contextlib.contextmanager
    def pinned_snapshot(self) -> Iterator[Pinned | None]:
        """A cursor on one snapshot and how that snapshot is split; None when the warehouse is still empty."""
        pinned = self._connection()
        try:
            yield pinned
        finally:
            if pinned is not None:
                pinned.cur.close()

    @contextlib.contextmanager
    def pinned(self) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """A cursor on one snapshot for several queries that must see the same data; None when the
        warehouse is still empty."""
        with self.pinned_snapshot() as pinned:
            yield None if pinned is None else pinned.cur

    def frame(self, sql: str, params: list | dict | None = None) -> pl.DataFrame | None:
        """Run a query on the current snapshot; None when the warehouse is still empty."""
        with self.pinned() as cur:
            return None if cur is None else cur.sql(sql, params=params).pl()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None


def open_snapshot(snapshots: Path, snap: snaps.Snapshot) -> tuple[duckdb.DuckDBPyConnection, Layout]:
    """An in-memory connection with the snapshot's files attached read-only (``base``, ``delta``) and a
    view per table of the warehouse combining them (``warehouse.snapshots`` says how)."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {snaps.path_literal(snaps.base_path(snapshots, snap.base))} AS base (READ_ONLY)")
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'base' "
                                            "AND schema_name = 'main' AND table_name NOT IN (SELECT unnest(?))",
                                            [list(snaps.UNPUBLISHED)]).fetchall()]
        if not snap.has_delta:
            for t in tables:
                con.execute(f"CREATE VIEW main.{t} AS SELECT * FROM base.{t}")
            return con, Layout(False, {})
        con.execute(f"ATTACH {snaps.path_literal(snaps.delta_path(snapshots, snap))} AS delta (READ_ONLY)")
        kinds = dict(con.execute("SELECT tbl, kind FROM delta._kinds").fetchall())
        masked = {t: frozenset(rids) for t, rids in con.execute(
            "SELECT tbl, list(rid) FROM delta._masked GROUP BY tbl").fetchall()}
        for t in tables:
            con.execute(f"CREATE VIEW main.{t} AS {_view_sql(con, t, kinds.get(t))}")
        return con, Layout(True, {t: masked.get(t, frozenset()) for t, k in kinds.items() if k == snaps.RANKED})
    except BaseException:
        con.close()
        raise


def _view_sql(con: duckdb.DuckDBPyConnection, table: str, kind: str | None) -> str:
    if kind is None or kind in (snaps.APPENDED, snaps.WHOLE):
        parts = {None: [f"base.{table}"], snaps.APPENDED: [f"base.{table}", f"delta.{table}"],
                 snaps.WHOLE: [f"delta.{table}"]}[kind]
        return " UNION ALL ".join(f"SELECT * FROM {p}" for p in parts)
    kept = f"rowid NOT IN (SELECT rid FROM delta._masked WHERE tbl = '{table}')"
    columns = "*"
    if kind == snaps.RANKED:
        _rank_steps_table(con, table)
        columns = f"* REPLACE (static_rank + {rank_shift_sql(table, 'b')} AS static_rank)"
    return f"SELECT {columns} FROM base.{table} b WHERE {kept} UNION ALL SELECT * FROM delta.{table}"


def rank_shift_sql(table: str, alias: str) -> str:
    """The correction of a base row's ``static_rank`` (the rank within its suite), as SQL on row ``alias``:
    plus the delta's rows now ranked above it, minus the base rows the delta replaced that were. Plain SQL
    over a small table of steps (``_rank_steps_<table>``), no Python function: a query on any cursor of
    the reader may run it."""
    return (f"(SELECT coalesce(sum(s.step), 0)::BIGINT FROM main._rank_steps_{table} s WHERE s.suite = {alias}.suite "
            f"AND s.average > coalesce({alias}.average, '-inf'::DOUBLE))")


def _rank_steps_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    con.execute(f"CREATE TABLE main._rank_steps_{table} AS "
                f"SELECT suite, average, 1 AS step FROM delta.{table} WHERE average IS NOT NULL UNION ALL "
                f"SELECT suite, average, -1 FROM delta.{table}{snaps.MASKED_SUFFIX} WHERE average IS NOT NULL")


_readers: dict[Path, Reader] = {}


def reader(home: Path) -> Reader:
    """One shared Reader per warehouse home in this process."""
    home = Path(home).resolve()
    if home not in _readers:
        _readers[home] = Reader(home)
    return _readers[home]
