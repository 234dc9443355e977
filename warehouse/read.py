"""The read path: a connection to the current read snapshot, reopened when a newer one is published.

Never opens the file the writer writes. Checking for a new version is one small file read, so a
query costs no connection set-up unless the warehouse changed.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import duckdb
import polars as pl

from warehouse.db import snapshot_path, snapshot_version

RETRIES = 20
T = TypeVar("T")


class Reader:
    def __init__(self, home: Path):
        self.home = Path(home)
        self.snapshots = self.home / "snapshots"
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._version = 0
        self._memo: dict[tuple, object] = {}  # (version, key) -> value, for the snapshot open now
        self._building: dict[tuple, threading.Event] = {}  # (version, key) computed in the background -> done
        self._failed: set[tuple] = set()  # (version, key) whose background computation failed: not tried again
        self._generation = 0  # counts close(): a computation started before one is not kept
        self.hold_views = False  # keep whole views in memory (``memo_soon``): set by long-lived readers

    @property
    def version(self) -> int:
        """The version of the newest published snapshot (0 when nothing was ingested yet)."""
        return snapshot_version(self.snapshots)

    def _connection(self) -> tuple[duckdb.DuckDBPyConnection | None, int]:
        version = self.version
        if version == 0:
            return None, 0
        with self._lock:
            if self._con is None or version != self._version:
                self._open(version)
            return self._con.cursor(), self._version

    def _open(self, version: int) -> None:
        """Open the snapshot `version`; if a newer publish deleted it meanwhile, open the newer one.

        Falls back to the snapshot already open rather than fail: a reader never fails because of the writer.
        """
        for attempt in range(RETRIES):
            try:
                con = duckdb.connect(str(snapshot_path(self.snapshots, version)), read_only=True)
            except duckdb.Error:
                newer = self.version
                if newer == version:
                    time.sleep(0.01 * (attempt + 1))  # CURRENT not rewritten yet; the old file is going
                version = newer
                continue
            # The old connection is not closed here: a query of another thread may be running on one of
            # its cursors. Dropping it lets DuckDB release that snapshot once its last cursor is closed.
            self._con, self._version = con, version
            return
        if self._con is None:
            raise RuntimeError(f"{self.snapshots}: could not open snapshot {version} after {RETRIES} tries")

    @contextlib.contextmanager
    def pinned(self) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """A cursor on one snapshot for several queries that must see the same data (rowids included);
        None when the warehouse is still empty."""
        with self.pinned_version() as (cur, _):
            yield cur

    @contextlib.contextmanager
    def pinned_version(self) -> Iterator[tuple[duckdb.DuckDBPyConnection | None, int]]:
        """``pinned``, with the version of the snapshot the cursor reads (for ``memo``)."""
        cur, version = self._connection()
        try:
            yield cur, version
        finally:
            if cur is not None:
                cur.close()

    def memo(self, version: int, key: tuple, compute: Callable[[], T], *, generation: int | None = None) -> T:
        """``compute()`` once per snapshot version and key (what a page needs from the whole table, such as a
        suite's sorted averages); entries of older versions are dropped. A computation ``memo_soon`` runs in the
        background for the same key is waited for, not repeated."""
        with self._lock:
            if (version, key) in self._memo:
                return self._memo[(version, key)]  # type: ignore[return-value]
            running = self._building.get((version, key)) if generation is None else None
        if running is not None:
            running.wait()
            with self._lock:
                if (version, key) in self._memo:
                    return self._memo[(version, key)]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            if generation not in (None, self._generation):
                return value  # the reader was closed meanwhile
            if all(k[0] <= version for k in self._memo):  # not kept once a newer version is read
                self._memo = {k: v for k, v in self._memo.items() if k[0] == version}
                self._memo[(version, key)] = value
        return value

    def memo_soon(self, version: int, key: tuple, compute: Callable[[duckdb.DuckDBPyConnection], T]) -> T | None:
        """The memo of ``key`` for ``version`` when it is ready; else None, and (when ``hold_views`` is set)
        ``compute(cursor)`` starts in a background thread, once, on that version's snapshot. What a long-lived
        reader (the dashboard) keeps of a whole view: built once per published version without making the
        query that asked wait for it (that query reads the snapshot meanwhile)."""
        with self._lock:
            if (version, key) in self._memo:
                return self._memo[(version, key)]  # type: ignore[return-value]
            if not self.hold_views or (version, key) in self._building or (version, key) in self._failed:
                return None
            done = self._building[(version, key)] = threading.Event()
            generation = self._generation
        threading.Thread(target=self._build, args=(version, key, compute, generation, done), daemon=True,
                         name=f"llmboard-memo-{key[0]}").start()
        return None

    def _build(self, version: int, key: tuple, compute: Callable[[duckdb.DuckDBPyConnection], T], generation: int,
               done: threading.Event) -> None:
        try:
            with self.pinned_version() as (cur, current):
                if cur is not None and current == version and generation == self._generation:
                    self.memo(version, key, lambda: compute(cur), generation=generation)
        except duckdb.Error:
            pass  # the snapshot went (the reader was closed, a newer one replaced it): the next query asks again
        except Exception:  # noqa: BLE001  a cache: the queries read the snapshot instead, for this version
            with self._lock:
                self._failed.add((version, key))
            logging.getLogger(__name__).exception("could not hold %s of snapshot %s in memory", key, version)
        finally:
            with self._lock:
                self._building.pop((version, key), None)
            done.set()

    def frame(self, sql: str, params: list | dict | None = None) -> pl.DataFrame | None:
        """Run a query on the current snapshot; None when the warehouse is still empty."""
        with self.pinned() as cur:
            return None if cur is None else cur.sql(sql, params=params).pl()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
            self._memo = {}
            self._generation += 1


_readers: dict[Path, Reader] = {}


def reader(home: Path) -> Reader:
    """One shared Reader per warehouse home in this process."""
    home = Path(home).resolve()
    if home not in _readers:
        _readers[home] = Reader(home)
    return _readers[home]
