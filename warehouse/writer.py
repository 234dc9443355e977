"""The one writer. Every write to the warehouse goes through a ``Writer``.

A Writer holds the single-writer lock and the only connection to ``warehouse.duckdb`` for the length
of a session (``with Writer(home) as w:``). The importers (``warehouse.importers``) build their rows
first and hand them over as ``Load``s, which go in together, one transaction per batch, as Arrow frames
(``INSERT INTO t SELECT * FROM frame``); a failing batch can be redone file by file, so only the culprit
fails and no file is ever half-loaded. Request records, models and flags have their own methods.

The writer publishes a read snapshot when the session ends, and every few seconds during a long
import, after refreshing the prebuilt leaderboard rows of the models the session touched.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse import db, leaderboard, mirror
from warehouse.flag_rules import open_flag_once
from warehouse.moderation import Moderation
from warehouse.request_records import (
    COPY_FLAG_AUTHOR,
    COPY_FLAG_KIND,
    copy_flag_reason,
    request_events,
    request_model,
    request_row,
)
from warehouse.rows import (
    BenchmarkScoreRow,
    Frames,
    ImportedFlagRow,
    IngestedFileRow,
    Load,
    ModelRow,
    QuarantineRow,
    RequestEventRow,
    RequestRow,
    RunIntervalRow,
    RunRow,
    RunScoreRow,
    TaskHashSetRow,
    columns,
    files_of,
    frame,
    framed_tables,
)

PUBLISH_EVERY_S = 5.0  # during a long import, publish a snapshot at most this often...
PUBLISH_COST_SHARE = 0.05  # ...and spend at most this share of the import's time publishing
PUBLISH_COST_PER_MODEL_AND_RUN_S = 1.5e-9
"""What a publish is expected to cost per touched model and run in the warehouse, until one in the session was
timed: refreshing a model's leaderboard rows and copying them to a snapshot took 1.4 ms at 1M runs (6.5 s for
4,700 models, about what importing their files cost), and the refresh scans grow with the warehouse."""
LOAD_ERRORS = (duckdb.Error, pa.ArrowException, TypeError, ValueError, OverflowError)  # a Load the database refused

_MODEL_FIELDS = columns(ModelRow)[1:]
_MODEL_UPDATE = ", ".join(f"{c} = coalesce(excluded.{c}, models.{c})" for c in _MODEL_FIELDS)
_REQUEST_UPSERT = (f"INSERT INTO requests ({', '.join(columns(RequestRow))}) "
                   f"VALUES ({', '.join('?' * len(RequestRow._fields))}) ON CONFLICT (request_id) DO UPDATE SET "
                   + ", ".join(f"{c} = excluded.{c}" for c in columns(RequestRow)[1:]))


class Writer(Moderation):
    def __init__(self, home: Path, *, wait_message: str | None = "waiting for the ingest writer's lock...",
                 publish_every_s: float | None = PUBLISH_EVERY_S):
        self.home = Path(home)
        self.path = self.home / "warehouse.duckdb"
        self.samples_dir = self.home / "samples"
        self.snapshots = self.home / "snapshots"
        self.publish_every_s = publish_every_s
        self._wait_message = wait_message
        self._lock_cm: contextlib.AbstractContextManager | None = None
        self.con: duckdb.DuckDBPyConnection | None = None  # the session's connection: for the writer alone
        self.changed = False  # publish a snapshot when the session ends
        self._rebuild_all = False
        self._touched: set[str] = set()  # models whose leaderboard rows are stale
        self._changed_keys: dict[str, set[str]] = {}  # table -> keys replaced since the last publish
        self._full_publish = False  # the next publish copies the warehouse (no snapshot can catch up)
        self.last_published: mirror.Published | None = None
        self._renames: dict[str, str] | None = None  # earlier name -> current name, read once a session
        self._executor: ProcessPoolExecutor | None = None
        self._last_publish = time.monotonic()
        self._timed_publish: tuple[float, int] | None = None  # the session's last publish: seconds, models refreshed
        self._runs = 0  # in the warehouse, when the session first asked whether to publish

    # -- the session -----------------------------------------------------------------------------
    def __enter__(self) -> Writer:
        self._lock_cm = db.writer_lock(self.home, self._wait_message)
        self._lock_cm.__enter__()
        try:
            con, applied = db.open_writer(self.path)
        except BaseException:
            self._lock_cm.__exit__(None, None, None)
            raise
        # writes that no publish logged (a session that died before its publish; migrations just applied):
        # no snapshot can catch up on them, the next publish copies the file
        self._full_publish = self._open_marker.exists() or bool(applied)
        self.con = mirror.TrackedConnection(con, before_first_write=self._open_marker.touch)
        first = db.snapshot_version(self.snapshots) == 0
        self.changed = self._rebuild_all = first or not leaderboard.exists(self.con) or self._full_publish
        self._last_publish = time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None
        try:
            if self.changed or self.con.writes:
                self.publish()
            self.con.close()
            self._open_marker.unlink(missing_ok=True)
        finally:
            self._lock_cm.__exit__(*exc)

    @property
    def _open_marker(self) -> Path:
        """Present from a session's first write until its last publish."""
        return self.home / "writer-session.open"

    def process_pool(self, workers: int) -> ProcessPoolExecutor:
        """Worker processes for the session (shut down when it ends), started by fork: at once, and without
        re-running the caller's script. They must not touch the database (file locks are not inherited)."""
        if self._executor is None:
            pa.array([0.0])  # pyarrow imports pandas at its first conversion (0.35 s): once here, not in each worker
            self._executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        return self._executor

    @contextlib.contextmanager
    def database_threads(self, threads: int) -> Iterator[None]:
        """DuckDB's worker threads for the block, then as they were."""
        (before,) = self.con.execute("SELECT current_setting('threads')").fetchone()
        self.con.execute(f"SET threads = {int(threads)}")
        try:
            yield
        finally:
            with contextlib.suppress(duckdb.Error):  # an error here would hide the block's own
                self.con.execute(f"SET threads = {int(before)}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything written in the block commits together, or not at all."""
        self.con.execute("BEGIN")
        try:
            yield
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.changed = True

    # -- publishing ------------------------------------------------------------------------------
    def _refresh_read_tables(self) -> None:
        if self._rebuild_all:
            leaderboard.rebuild(self.con)
        elif self._touched:
            leaderboard.rebuild(self.con, models=sorted(self._touched))
        self._rebuild_all, self._touched = False, set()
        self.con.execute("INSERT OR REPLACE INTO meta VALUES ('ingested_at', ?)", [datetime.now(UTC).isoformat()])
        self.con.execute("CHECKPOINT")

    def rebuild_read_tables(self) -> None:
        """Rebuild every leaderboard table from scratch now (the session's publish then has nothing to redo)."""
        leaderboard.rebuild(self.con)
        self._note_touched()
        self._rebuild_all, self._touched = False, set()

    def _note_touched(self) -> None:
        """The touched models' rows of the keyed tables changed: the next publish's snapshot replaces them."""
        for table in ("models", "leaderboard", "leaderboard_revisions"):
            self._changed_keys.setdefault(table, set()).update(self._touched)

    def publish(self) -> int:
        """Refresh the leaderboard rows, checkpoint and publish a read snapshot now (mid-session)."""
        started, models = time.monotonic(), len(self._touched)
        self._note_touched()
        self._refresh_read_tables()
        self.last_published = mirror.publish(self.con, self.path, self.snapshots, self.con.writes, self._changed_keys,
                                             full=self._full_publish)
        self.con.writes, self._changed_keys, self._full_publish = {}, {}, False
        self.changed = False
        self._last_publish = time.monotonic()
        self._timed_publish = (self._last_publish - started, models)
        return self.last_published.version

    def maybe_publish(self) -> None:
        """During a long import: publish every few seconds (0: every batch), when the publish is expected to
        cost at most ~5% of the time since the last one. Its cost follows the models it refreshes: where
        refreshing a model costs about as much as importing its file (a large warehouse), a long import
        publishes when it ends."""
        if self.publish_every_s is None or not self.changed:
            return
        elapsed = time.monotonic() - self._last_publish
        if self.publish_every_s == 0 or (elapsed >= self.publish_every_s
                                         and self._expected_publish_cost() <= PUBLISH_COST_SHARE * elapsed):
            self.publish()

    def _expected_publish_cost(self) -> float:
        """Seconds: the session's last publish scaled to the models touched since (never below it), or before
        one was timed, ``PUBLISH_COST_PER_MODEL_AND_RUN_S`` times the models and the warehouse's runs."""
        touched = len(self._touched)
        if self._timed_publish is None:
            self._runs = self._runs or self.con.execute("SELECT count(*) FROM runs").fetchone()[0]
            return PUBLISH_COST_PER_MODEL_AND_RUN_S * touched * self._runs
        cost, models = self._timed_publish
        return cost * max(1.0, touched / max(models, 1))

    # -- files seen before -----------------------------------------------------------------------
    def seen(self, sha: str) -> bool:
        """Whether a file with this content (or a bundle with this run id) was loaded before."""
        return self.con.execute("SELECT 1 FROM ingested_files WHERE content_sha = ?", [sha]).fetchall() != []

    def seen_among(self, shas: list[str]) -> set[str]:
        if not shas:
            return set()
        rows = self.con.execute("SELECT content_sha FROM ingested_files WHERE content_sha IN (SELECT unnest(?))",
                                [shas]).fetchall()
        return {r[0] for r in rows}

    def mark_seen(self, file: IngestedFileRow) -> None:
        self.con.execute("INSERT INTO ingested_files VALUES (?, ?, ?, now())", list(file))

    def known_run_ids(self, run_ids: list[str]) -> set[str]:
        """Those of these runs already in the warehouse."""
        if not run_ids:
            return set()
        rows = self.con.execute("SELECT run_id FROM runs WHERE run_id IN (SELECT unnest(?))", [run_ids]).fetchall()
        return {r[0] for r in rows}

    # -- loads: the rows of imported files -------------------------------------------------------
    def commit_loads(self, loads: list[Load | Frames]) -> None:
        """Insert these files' rows in one transaction (a failure is raised: ``importers.quarantine.commit_isolating``
        finds the files at fault)."""
        if loads:
            with self.transaction():
                self._write(loads)

    def _insert(self, table: str, row_type: type[tuple], rows: list | pa.Table, *, select: str | None = None,
                suffix: str = "", or_ignore: bool = False, keyed: bool = False) -> None:
        """Insert ``rows`` (or a table of them); ``keyed``: the caller records their keys (``_touched``,
        ``_changed_keys``)."""
        data = rows if isinstance(rows, pa.Table) else frame(row_type, rows) if rows else None
        if data is None or not data.num_rows:
            return
        self.con.register("_frame", data)
        try:
            cols = ", ".join(columns(row_type))
            self.con.execute(f"{mirror.KEYED_MARK if keyed else ''}INSERT {'OR IGNORE ' if or_ignore else ''}INTO {table} "
                             f"{select or f'({cols}) SELECT {cols} FROM _frame'} {suffix}")
        finally:
            _unregister(self.con, "_frame")

    def _write(self, parts: list[Load | Frames]) -> None:
        """Insert the rows of these files (inside the caller's transaction)."""
        loads, tables = files_of(parts), framed_tables(parts)
        models = _merge_models(loads)
        # a results file names its model and nothing else about it: such rows only make sure the model
        # exists (cheap), the others fill in what the model lacks
        bare = [m for m in models if all(v is None for v in m[1:])]
        self._insert("models", ModelRow, bare, keyed=True,
                     select="(model_id, updated_at) SELECT f.model_id, now() FROM _frame f "
                                                       "ANTI JOIN models m ON m.model_id = f.model_id")
        self._insert("models", ModelRow, [m for m in models if any(v is not None for v in m[1:])], keyed=True,
                     select=f"({', '.join(columns(ModelRow))}, updated_at) SELECT *, now() FROM _frame",
                     suffix=f"ON CONFLICT (model_id) DO UPDATE SET {_MODEL_UPDATE}, updated_at = now()")
        runs, benchmark_scores, intervals = tables["runs"], tables["benchmark_scores"], tables["intervals"]
        self._insert("run_intervals", RunIntervalRow, intervals)
        self.con.register("_runs", runs)
        self.con.register("_benchmark_scores", benchmark_scores)
        try:
            if runs.num_rows:
                self.con.execute(f"INSERT INTO runs ({', '.join(columns(RunRow))}, ingested_at) "
                                 "SELECT *, now() FROM _runs")
            if benchmark_scores.num_rows:
                cols = ", ".join(columns(BenchmarkScoreRow))
                self.con.execute(f"INSERT INTO benchmark_scores ({cols}) SELECT {cols} FROM _benchmark_scores")
            if runs.num_rows and not self._rebuild_all:  # else the full rebuild at publish makes runs_wide
                leaderboard.append_runs(self.con, "(SELECT *, now() AS ingested_at FROM _runs)", benchmark_scores,
                                        intervals)
        finally:
            _unregister(self.con, "_runs", "_benchmark_scores")
        self._insert("scores", RunScoreRow, tables["scores"])
        self._insert("flags", ImportedFlagRow, [r for load in loads for r in load.flags], or_ignore=True,
                     select="SELECT flag_id, model_id, 'other', 'flagged on the Open LLM Leaderboard', "
                            "'import', now(), 'confirmed', NULL, NULL, NULL FROM _frame")
        task_hash_sets = {r.set_id: r for load in loads for r in load.task_hash_sets}  # files of a batch share a few
        self._insert("task_hash_sets", TaskHashSetRow, list(task_hash_sets.values()), or_ignore=True)
        self._insert("ingested_files", IngestedFileRow, [r for load in loads for r in load.seen],
                     select="SELECT *, now() FROM _frame")
        files = {(f.kind, f.path) for load in loads for f in load.seen}
        self.record_quarantine(files | {(q.kind, q.source_file) for load in loads for q in load.quarantined},
                               [q for load in loads for q in load.quarantined])
        self._touched.update(m.model_id for m in models)

    def record_quarantine(self, files: set[tuple[str, str]], rows: list[QuarantineRow]) -> None:
        """Inside the caller's transaction: these (kind, path) files were just imported and ``rows`` is what
        of them could not be loaded. Their entries from earlier imports that no longer apply are removed;
        an entry already there is kept as it was (importing the same file again changes nothing)."""
        if not files:
            return
        kinds, paths = zip(*sorted(files), strict=True)
        self.con.execute("DELETE FROM quarantine WHERE (kind, source_file) IN (SELECT unnest(?), unnest(?)) "
                         "AND quarantine_id NOT IN (SELECT unnest(?))",
                         [list(kinds), list(paths), [q.quarantine_id for q in rows]])
        self._insert("quarantine", QuarantineRow, rows, or_ignore=True, select="SELECT *, now() FROM _frame")

    def insert_frame(self, table: str, data: pa.Table, **computed: str) -> None:
        """Bulk-insert prebuilt rows (benchmarks, fixtures): ``data``'s columns are named as ``table``'s;
        ``computed`` gives further columns as SQL expressions (``ingested_at="now()"``). The leaderboard
        tables are rebuilt from scratch when the session publishes."""
        names = [*data.column_names, *computed]
        self.con.register("_bulk", data)
        try:
            self.con.execute(f"INSERT INTO {table} ({', '.join(names)}) "
                             f"SELECT {', '.join([*data.column_names, *computed.values()])} FROM _bulk")
        finally:
            self.con.unregister("_bulk")
        self.changed = self._rebuild_all = True

    # -- models ----------------------------------------------------------------------------------
    def upsert_model(self, model_id: str, **fields) -> None:
        """Create the model or fill in what it lacks; later non-empty values win."""
        row = ModelRow(model_id, **fields)
        self.con.execute(
            f"{mirror.KEYED_MARK}INSERT INTO models ({', '.join(columns(ModelRow))}, updated_at) "
            f"VALUES ({', '.join('?' * len(row))}, now()) "
            f"ON CONFLICT (model_id) DO UPDATE SET {_MODEL_UPDATE}, updated_at = now()", list(row))
        self._touched.add(model_id)

    def model_exists(self, model: str) -> bool:
        return self.con.execute("SELECT 1 FROM models WHERE model_id = ?", [model]).fetchone() is not None

    def _touch_model(self, model: str) -> None:
        """Have the session rebuild this model's leaderboard rows (its `flagged` column) and publish."""
        self.upsert_model(model)
        self.changed = True

    # -- requests --------------------------------------------------------------------------------
    def upsert_request(self, record: dict, *, origin: str = "worker", source_file: str | None = None) -> None:
        """Store a request record (ours) in its own transaction: see ``apply_request``."""
        with self.transaction():
            self.apply_request(record, origin=origin, source_file=source_file)

    def apply_request(self, record: dict, *, origin: str, source_file: str | None, raw: object = None) -> None:
        """Store a request record inside the caller's transaction: its model, its current row, and the
        events of its history not stored yet. A request seen for the first time whose weights copy another
        model's (``copy_of``) flags its model, unless the writer flagged it so already and it is still open."""
        record = self._follow_rename(record)
        self.upsert_model(**request_model(record)._asdict())
        row = request_row(record, origin=origin, source_file=source_file, raw=raw)
        first_time = self.con.execute("SELECT 1 FROM requests WHERE request_id = ?",
                                      [row.request_id]).fetchone() is None
        self.con.execute(mirror.KEYED_MARK + _REQUEST_UPSERT, list(row))
        self._store_events(row.request_id, request_events(record))
        for table in ("requests", "request_events"):
            self._changed_keys.setdefault(table, set()).add(row.request_id)
        reason = copy_flag_reason(record)
        if reason and first_time:
            open_flag_once(self, row.model_id, COPY_FLAG_KIND, reason, COPY_FLAG_AUTHOR)

    def _store_events(self, request_id: str, events: list[RequestEventRow]) -> None:
        """Insert the events at positions not stored yet. A history only grows, so that is all a worker's
        record ever needs; an imported request's history is kept in status order, and the positions its
        newly seen status moved are updated in place. Nothing is deleted."""
        stored = {seq: tuple(rest) for seq, *rest in self.con.execute(
            "SELECT seq, status, changed_at, reason, origin FROM request_events WHERE request_id = ?",
            [request_id]).fetchall()}
        new = [list(e) for e in events if e.seq not in stored]
        moved = [[*e[2:], request_id, e.seq] for e in events if e.seq in stored and stored[e.seq] != tuple(e[2:])]
        if new:
            self.con.executemany(mirror.KEYED_MARK + "INSERT INTO request_events VALUES (?, ?, ?, ?, ?, ?)", new)
        if moved:
            self.con.executemany(mirror.KEYED_MARK + "UPDATE request_events SET status = ?, changed_at = ?, reason = ?, origin = ? "
                                 "WHERE request_id = ? AND seq = ?", moved)

    def request_history(self, request_id: str) -> list[tuple[str, str | None]]:
        """The stored (status, origin) of each event of a request, in order."""
        return self.con.execute("SELECT status, origin FROM request_events WHERE request_id = ? ORDER BY seq",
                                [request_id]).fetchall()


def _unregister(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Drop the names of registered frames. Inside a failed transaction this raises on its own (the
    transaction is aborted and its rollback drops them anyway): that error would hide the first cause."""
    for name in names:
        with contextlib.suppress(duckdb.Error):
            con.unregister(name)


def _merge_models(loads: list[Load]) -> list[ModelRow]:
    """One row per model; later non-empty values win (as ``upsert_model``)."""
    merged: dict[str, ModelRow] = {}
    for load in loads:
        for m in load.models:
            old = merged.get(m.model_id)
            merged[m.model_id] = m if old is None else ModelRow(*(o if v is None else v for v, o in zip(m, old,
                                                                                                       strict=True)))
    return list(merged.values())
