"""Read snapshots in two parts, so that a publish costs what changed, not what the warehouse holds.

A snapshot is a *base* (``warehouse-<b>.duckdb``: a copy of the whole warehouse file, made rarely) and,
once something changed since that base, a *delta* (``delta-<v>-<b>.duckdb``: what changed since the
base, rebuilt at each publish). ``CURRENT`` names both (``"<v> <b>"``; a base alone is ``"<b> <b>"``)
and is swapped in atomically; readers attach both files read-only and read views that combine them
(``warehouse.read``). How a table's changes go in the delta depends on how the writer changes it (``KINDS``):

- ``appended``: rows are only ever added (runs, scores, ...): the delta holds the rows after the base's
  last; the view is base UNION ALL delta.
- ``by_model`` / ``by_request``: rows are replaced in place (models, requests, their events, flags): the
  delta holds the current rows of every model touched since the base (``snapshot_models``) and the base
  rowids they replace (``_masked``); the view leaves those out of the base.
- ``ranked``: the leaderboard tables, ``by_model`` plus their base rows as they were (``<t>__masked``), so
  that readers correct the base rows' ``static_rank`` for the entries that moved in front of them.
- any other table is small (meta, migrations, ...): the delta holds all of it.

A delta only grows with what changed since its base: once it reaches ``DELTA_MAX_MODELS`` models or
``DELTA_MAX_ROWS`` appended rows, or after a full rebuild, a resort or a schema change, the next publish
writes a new base instead (a file copy, paid once per that many changes).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import duckdb

APPENDED, BY_MODEL, BY_REQUEST, RANKED, WHOLE = "appended", "by_model", "by_request", "ranked", "whole"
KINDS = {
    "runs": APPENDED, "scores": APPENDED, "benchmark_scores": APPENDED, "runs_wide": APPENDED,
    "flag_comments": APPENDED, "ingested_files": APPENDED, "run_intervals": APPENDED,
    "models": BY_MODEL, "requests": BY_MODEL, "flags": BY_MODEL, "request_events": BY_REQUEST,
    "leaderboard": RANKED, "leaderboard_revisions": RANKED,
}
"""How each table's changes reach readers; any table not named here is copied whole into each delta."""
UNPUBLISHED = ("snapshot_base", "snapshot_models")  # the writer's own bookkeeping
DELTA_MAX_MODELS = 1000
DELTA_MAX_ROWS = 500_000
KEEP_SNAPSHOTS = 3
MASKED_SUFFIX = "__masked"


class Snapshot(NamedTuple):
    version: int  # what CURRENT names: changes at every publish
    base: int  # the base file's version (== version when there is no delta)

    @property
    def has_delta(self) -> bool:
        return self.version != self.base


def current(snapshots: Path) -> Snapshot | None:
    """The published snapshot; None before the first publish."""
    try:
        words = (snapshots / "CURRENT").read_text().split()
    except FileNotFoundError:
        return None
    if not words:
        return None
    version = int(words[0])
    return Snapshot(version, int(words[1]) if len(words) > 1 else version)


def base_path(snapshots: Path, base: int) -> Path:
    return snapshots / f"warehouse-{base}.duckdb"


def delta_path(snapshots: Path, snap: Snapshot) -> Path:
    return snapshots / f"delta-{snap.version}-{snap.base}.duckdb"


def record_touched(con: duckdb.DuckDBPyConnection, models: Iterable[str]) -> None:
    """Remember the models whose rows changed since the base (the writer calls this before each publish)."""
    models = sorted(set(models))
    if models:
        con.execute("INSERT OR IGNORE INTO snapshot_models SELECT unnest(?)", [models])


def publish(con: duckdb.DuckDBPyConnection, warehouse: Path, snapshots: Path, *, force_base: bool = False) -> int:
    """Publish what the (checkpointed) warehouse holds now: a delta on the current base when that is
    possible and small, else a new base. Returns the new version."""
    snapshots.mkdir(parents=True, exist_ok=True)
    now = current(snapshots)
    version = max(now.version if now else 0, int(time.time() * 1000)) + 1
    recorded = con.execute("SELECT version FROM snapshot_base").fetchall()
    usable = (now is not None and not force_base and recorded == [(now.base,)]
              and base_path(snapshots, now.base).exists())
    if not (usable and _write_delta(con, snapshots, Snapshot(version, now.base))):
        con.execute("CHECKPOINT")  # the file holds every committed change: copy it
        shutil.copyfile(warehouse, snapshots / "base.tmp")
        os.replace(snapshots / "base.tmp", base_path(snapshots, version))
        _make_current(snapshots, Snapshot(version, version))
        with _transaction(con):  # the models touched since now count from this base
            con.execute("DELETE FROM snapshot_models")
            con.execute("DELETE FROM snapshot_base")
            con.execute("INSERT INTO snapshot_base VALUES (?)", [version])
    _clean(snapshots)
    return version


def _write_delta(con: duckdb.DuckDBPyConnection, snapshots: Path, snap: Snapshot) -> bool:
    """Write the delta of `snap` against its base and make it current; False (nothing written) when a
    new base is due instead."""
    n_models = con.execute("SELECT count(*) FROM snapshot_models").fetchall()[0][0]
    if n_models > DELTA_MAX_MODELS:
        return False
    target, tmp = delta_path(snapshots, snap), snapshots / "delta.tmp"
    tmp.unlink(missing_ok=True)
    con.execute(f"ATTACH {path_literal(base_path(snapshots, snap.base))} AS snap_base (READ_ONLY)")
    try:
        tables = _tables(con, current_database(con))
        if tables != _tables(con, "snap_base"):
            return False  # a migration changed the schema since the base
        cuts = {t: con.execute(f"SELECT count(*) FROM snap_base.{t}").fetchall()[0][0]
                for t in tables if KINDS.get(t) == APPENDED}
        appended = sum(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] - n for t, n in cuts.items())
        if appended > DELTA_MAX_ROWS:
            return False
        con.execute(f"ATTACH {path_literal(tmp)} AS snap_delta")
        try:
            _fill_delta(con, tables, cuts)
        finally:
            con.execute("DETACH snap_delta")
    finally:
        con.execute("DETACH snap_base")
    os.replace(tmp, target)
    _make_current(snapshots, snap)
    return True


def _fill_delta(con: duckdb.DuckDBPyConnection, tables: dict[str, tuple], cuts: dict[str, int]) -> None:
    touched = "SELECT model_id FROM snapshot_models"
    con.execute(f"CREATE TABLE snap_delta._touched AS {touched}")
    con.execute("CREATE TABLE snap_delta._masked (tbl VARCHAR, rid BIGINT)")
    con.execute("CREATE TABLE snap_delta._kinds (tbl VARCHAR, kind VARCHAR)")
    order = sorted(tables, key=lambda t: KINDS.get(t) == BY_REQUEST)  # requests before their events
    for t in order:
        kind = KINDS.get(t, WHOLE)
        if kind == APPENDED:
            con.execute(f"CREATE TABLE snap_delta.{t} AS SELECT * FROM {t} WHERE rowid >= ?", [cuts[t]])
        elif kind == WHOLE:
            con.execute(f"CREATE TABLE snap_delta.{t} AS SELECT * FROM {t}")
        else:
            key, keys = ("request_id", "SELECT request_id FROM snap_delta.requests") if kind == BY_REQUEST \
                else ("model_id", touched)
            con.execute(f"CREATE TABLE snap_delta.{t} AS SELECT * FROM {t} WHERE {key} IN ({keys})")
            con.execute(f"INSERT INTO snap_delta._masked SELECT ?, rowid FROM snap_base.{t} WHERE {key} IN ({keys})",
                        [t])
            if kind == RANKED:
                con.execute(f"CREATE TABLE snap_delta.{t}{MASKED_SUFFIX} AS SELECT * FROM snap_base.{t} "
                            f"WHERE {key} IN ({keys})")
        con.execute("INSERT INTO snap_delta._kinds VALUES (?, ?)", [t, kind])


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, tuple]:
    """The published tables of one database, each with its columns and their types, in order."""
    rows = con.execute("SELECT table_name, list((column_name, data_type) ORDER BY column_index) "
                       "FROM duckdb_columns() WHERE database_name = ? AND schema_name = 'main' "
                       "AND table_name NOT IN (SELECT unnest(?)) GROUP BY table_name ORDER BY table_name",
                       [database, list(UNPUBLISHED)]).fetchall()
    return {name: tuple(map(tuple, cols)) for name, cols in rows}


def current_database(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT current_database()").fetchall()[0][0]


def path_literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


@contextlib.contextmanager
def _transaction(con: duckdb.DuckDBPyConnection):
    con.execute("BEGIN")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _make_current(snapshots: Path, snap: Snapshot) -> None:
    tmp = snapshots / "CURRENT.tmp"
    tmp.write_text(f"{snap.version} {snap.base}")
    os.replace(tmp, snapshots / "CURRENT")


def _clean(snapshots: Path) -> None:
    """Keep the files of the last KEEP_SNAPSHOTS versions; a reader that still has an older one open keeps
    reading it (unlinked files stay readable)."""
    found: dict[Path, Snapshot] = {}
    for p in snapshots.glob("warehouse-*.duckdb"):
        b = int(p.stem.split("-")[1])
        found[p] = Snapshot(b, b)
    for p in snapshots.glob("delta-*.duckdb"):
        _, v, b = p.stem.split("-")
        found[p] = Snapshot(int(v), int(b))
    kept = sorted(set(found.values()))[-KEEP_SNAPSHOTS:]
    live = {s.version for s in kept} | {s.base for s in kept}
    for path, snap in found.items():
        if snap not in kept and not (not snap.has_delta and snap.base in live):
            path.unlink(missing_ok=True)
