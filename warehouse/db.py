"""The warehouse file, its migrations, the writer's lock and the versioned read snapshots.

One process writes ``warehouse.duckdb`` at a time (an exclusive ``flock`` on ``warehouse.lock``).
After each ingest batch the writer publishes a read snapshot under ``snapshots/`` (``warehouse.mirror``),
swapped in atomically by rewriting ``snapshots/CURRENT``. Readers only ever open
snapshots, so they never block the writer and the writer never makes a reader fail.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import duckdb


def migrations() -> list[tuple[str, str]]:
    folder = resources.files("warehouse") / "migrations"
    files = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(name, (folder / name).read_text()) for name in files]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply each migration not yet recorded, each in its own transaction; returns the applied names."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
    done = {r[0] for r in con.execute("SELECT name FROM schema_migrations").fetchall()}
    applied = []
    for name, sql in migrations():
        if name in done:
            continue
        con.execute("BEGIN")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, now())", [name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


@contextlib.contextmanager
def writer_lock(home: Path, wait_message: str | None = None) -> Iterator[None]:
    """Hold the single-writer lock for the duration of the block (blocks while another writer holds it)."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "warehouse.lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if wait_message:
                print(wait_message, flush=True)
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def open_writer(path: Path) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    """The writer's connection, migrated, and the names of the migrations it just applied."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    # No automatic checkpoint every 16 MB of WAL in the middle of an import: each publish checkpoints.
    con.execute("SET checkpoint_threshold = '1GB'")
    return con, migrate(con)


def snapshot_version(snapshots: Path) -> int:
    try:
        return int((snapshots / "CURRENT").read_text().strip() or 0)
    except FileNotFoundError:
        return 0


def snapshot_path(snapshots: Path, version: int) -> Path:
    return snapshots / f"warehouse-{version}.duckdb"


def raw_path(home: Path, raw_file: str) -> Path:
    """The kept copy of an imported results file (``runs.raw_file`` is relative to LLMBOARD_HOME)."""
    return Path(home) / raw_file
