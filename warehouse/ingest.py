"""The one writer. Every write to the warehouse goes through a ``Writer``.

A Writer holds the single-writer lock and the only connection to ``warehouse.duckdb``. Each file is
parsed, checked and scored in Python first, so a malformed file is rejected (named, with its field)
before it touches the database; a large import does this in a few worker processes
(``IMPORT_WORKERS``), which return rows and never open the database. The rows of many good files are then inserted together, one
transaction per batch, as Arrow frames (``INSERT INTO t SELECT * FROM frame``); when a batch fails the
writer redoes it file by file, so only the culprit fails and no file is ever half-loaded.

The imported results files themselves are kept content-addressed under ``LLMBOARD_HOME/raw/`` (the
runs table stores the path), not as JSON inside the warehouse.

The writer publishes a read snapshot when the session ends, and every few seconds during a long
import, after refreshing the prebuilt leaderboard rows of the models the session touched.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from core.suites import suite as suite_by_name
from warehouse import db, leaderboard
from warehouse.formats import FormatError, ParsedResults, loads, parse_request, parse_results, read_contents
from warehouse.scoring import score_run

BATCH_FILES = 256  # results files per insert transaction
IMPORT_WORKERS = min(2, os.cpu_count() or 1)  # processes that parse and score results files
POOL_MIN_FILES = 200  # fewer files are parsed in this process: starting the workers would cost more
POOL_CHUNK = 32  # files per task sent to a worker
PUBLISH_EVERY_S = 5.0  # during a long import, publish a snapshot at most this often...
PUBLISH_COST_SHARE = 0.05  # ...and spend at most this share of the import's time publishing

_S, _F, _B, _T, _I = pa.string(), pa.float64(), pa.bool_(), pa.timestamp("us"), pa.int64()
RUN_COLUMNS = {
    "run_id": _S, "request_id": _S, "model_id": _S, "sha": _S, "precision": _S, "weight_type": _S,
    "model_type": _S, "use_chat_template": _B, "suite": _S, "lm_eval_version": _S, "transformers_version": _S,
    "task_hashes": _S, "started_at": _T, "finished_at": _T, "duration_s": _F, "device": _S, "dtype": _S,
    "params_b": _F, "co2_kg": _F, "average": _F, "origin": _S, "source_file": _S, "bundle_path": _S,
    "samples_file": _S, "raw_file": _S, "raw": _S,
}
SCORE_COLUMNS = {"run_id": _S, "benchmark": _S, "task": _S, "metric": _S, "filter": _S, "value": _F,
                 "stderr": _F, "n_samples": _I, "normalized": _F}
BENCHMARK_SCORE_COLUMNS = {"run_id": _S, "benchmark": _S, "raw": _F, "normalized": _F, "stderr": _F}
MODEL_COLUMNS = {"model_id": _S, "license": _S, "params_b": _F, "architecture": _S, "model_type": _S,
                 "weight_type": _S, "base_model": _S, "merged": _B, "moe": _B, "available_on_hub": _B,
                 "hub_hearts": _I, "source": _S}
FLAG_COLUMNS = {"flag_id": _S, "model_id": _S}
SEEN_COLUMNS = {"content_sha": _S, "kind": _S, "path": _S}


@dataclass
class ImportReport:
    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.loaded)} loaded, {len(self.unchanged)} unchanged, {len(self.errors)} failed"


@dataclass
class Load:
    """Every row one file adds, built and checked before anything touches the database."""

    label: str  # the file, for reports and errors
    models: list[dict] = field(default_factory=list)
    runs: list[tuple] = field(default_factory=list)
    scores: list[tuple] = field(default_factory=list)
    benchmark_scores: list[tuple] = field(default_factory=list)
    flags: list[tuple] = field(default_factory=list)
    seen: list[tuple] = field(default_factory=list)  # (content_sha, kind, path) for ingested_files


def content_sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def raw_file_name(sha: str) -> str:
    """Where a results file is kept, relative to LLMBOARD_HOME (see ``db.raw_path``)."""
    return f"raw/{sha[:2]}/{sha}.json"


def walk(paths: Iterable[str | Path], suffixes: tuple[str, ...] = (".json",)) -> list[Path]:
    """Files named directly, and every matching file under folders (sorted, so imports are repeatable)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix in suffixes))
        elif p.exists():
            out.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or folder")
    return out


def _ts(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
    text = str(value).replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def _frame(columns: dict[str, pa.DataType], rows: list[tuple]) -> pa.Table:
    values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    return pa.table({name: pa.array(col, type=kind) for (name, kind), col in zip(columns.items(), values, strict=True)})


def _merge_models(loads: list[Load]) -> list[tuple]:
    """One row per model; later non-empty values win (as ``upsert_model``)."""
    merged: dict[str, dict] = {}
    for load in loads:
        for m in load.models:
            into = merged.setdefault(m["model_id"], {})
            into.update((k, v) for k, v in m.items() if v is not None)
    return [tuple(m.get(c) for c in MODEL_COLUMNS) for m in merged.values()]


def run_rows(parsed: ParsedResults, load: Load, *, run_id: str, origin: str, source_file: str,
             raw_file: str | None, extra: dict | None = None) -> None:
    """Score a parsed results file and add its model, run, score and benchmark rows to ``load``."""
    extra = extra or {}
    try:
        suite = suite_by_name(parsed.suite)
    except KeyError:
        suite = None
    scored = score_run(parsed, suite) if suite is not None else None
    model_id = extra.get("model_id") or parsed.model
    if not model_id:
        raise FormatError(source_file, "model_name", "no model name found (model_name, config.model_name or "
                                                     "config.model_args pretrained=...)")
    load.models.append({
        "model_id": model_id, "params_b": extra.get("params_b"), "model_type": extra.get("model_type"),
        "weight_type": extra.get("weight_type"), "license": extra.get("license"),
        "base_model": extra.get("base_model") or None, "source": extra.get("source"),
        "architecture": extra.get("architecture"),
    })
    load.runs.append((
        run_id, extra.get("request_id"), model_id, extra.get("sha") or parsed.sha,
        extra.get("precision") or parsed.precision, extra.get("weight_type"), extra.get("model_type"),
        extra.get("use_chat_template", bool(parsed.chat_template)), parsed.suite, parsed.lm_eval_version,
        parsed.transformers_version, json.dumps(parsed.raw.get("task_hashes") or {}),
        _ts(extra.get("started_at")), _ts(extra.get("finished_at") or parsed.evaluated_at),
        extra.get("duration_s"), extra.get("device"), extra.get("dtype"), extra.get("params_b"),
        extra.get("co2_kg"), scored.average if scored else None, origin, source_file,
        extra.get("bundle_path"), extra.get("samples_file"), raw_file, None,
    ))
    benchmark_of = {t: b.key for b in scored.benchmarks.values() for t in b.tasks} if scored else {}
    normalized = scored.normalized_by_row if scored else {}
    seen: set[tuple[str, str, str]] = set()
    benchmark_get, normalized_get, add, append = benchmark_of.get, normalized.get, seen.add, load.scores.append
    for s in [*parsed.scores, *(scored.aggregate_rows if scored else [])]:  # ScoreRow: task, metric, filter, ...
        key = s[:3]
        if key in seen:
            continue
        add(key)
        append((run_id, benchmark_get(s[0]), *s, normalized_get(key)))
    if scored:
        load.benchmark_scores.extend((run_id, b.key, b.raw, b.normalized, None) for b in scored.benchmarks.values())


def load_results_file(home: Path, path: Path, data: bytes, sha: str) -> Load | str:
    """Parse, check and score one results file and keep its raw copy: its Load, or the error message
    naming the file (and the field). Runs in the import's worker processes; writes nothing to the database."""
    try:
        try:
            parsed = parse_results(loads(data), source_file=str(path))
        except RecursionError as exc:
            raise FormatError(path, "(document)", "nested too deeply") from exc
        load = Load(str(path), seen=[(sha, "results", str(path))])
        run_rows(parsed, load, run_id=sha[:32], origin="results-file", source_file=str(path),
                 raw_file=raw_file_name(sha))
    except FormatError as exc:
        return str(exc)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return f"{path}: not valid JSON: {exc}"
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return f"{path}: {type(exc).__name__}: {exc}"
    keep_raw(home, sha, data, path)  # only once the file proved good
    return load


def load_results_files(home: Path, files: list[tuple[Path, str, tuple[int, int]]]) -> list[Load | str]:
    """A worker's chunk of ``load_results_file``: the files are read again here (from the page cache;
    cheaper than sending their bytes over a pipe). Each must still be what the writer hashed: the same
    size and modification time before and after this read as when the writer read it."""
    out: list[Load | str] = []
    for path, sha, stamp in files:
        try:
            before = _stamp(path)
            data = path.read_bytes()
            after = _stamp(path)
        except OSError as exc:
            out.append(f"{path}: {exc}")
            continue
        if before != stamp or after != stamp:
            out.append(f"{path}: changed while being imported; import it again")
            continue
        out.append(load_results_file(home, path, data, sha))
    return out


def _stamp(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def keep_raw(home: Path, sha: str, data: bytes, source: Path | None = None) -> str:
    """Keep the file's bytes content-addressed under LLMBOARD_HOME/raw/; returns the relative name.

    A hard link to the source file where the filesystem allows (free, and atomic by itself), else a
    copy written aside and renamed into place."""
    name = raw_file_name(sha)
    target = db.raw_path(home, name)
    if source is not None:
        try:
            _in_fanout(target, lambda: os.link(source, target))
            return name
        except FileExistsError:
            return name
        except OSError:
            pass  # another filesystem, or links not allowed: copy
    if not target.exists():
        tmp = target.with_name(f".{sha}.{os.getpid()}.tmp")
        _in_fanout(target, lambda: tmp.write_bytes(data))
        os.replace(tmp, target)
    return name


def _in_fanout(target: Path, make) -> None:
    """Run ``make``; if the fan-out folder is missing, create it and run it again (not checked per file)."""
    try:
        make()
    except FileNotFoundError:
        if target.parent.exists():
            raise
        target.parent.mkdir(parents=True, exist_ok=True)
        make()


class Writer:
    def __init__(self, home: Path, *, wait_message: str | None = "waiting for the ingest writer's lock...",
                 publish_every_s: float | None = PUBLISH_EVERY_S):
        self.home = Path(home)
        self.path = self.home / "warehouse.duckdb"
        self.samples_dir = self.home / "samples"
        self.snapshots = self.home / "snapshots"
        self.publish_every_s = publish_every_s
        self._wait_message = wait_message
        self._lock_cm = None
        self.con: duckdb.DuckDBPyConnection | None = None
        self.changed = False
        self._rebuild_all = False
        self._touched: set[str] = set()  # models whose leaderboard rows are stale
        self._in_flight: set[str] = set()  # results files read but not yet committed (or failed)
        self._executor: ProcessPoolExecutor | None = None
        self._last_publish = time.monotonic()
        self._publish_cost = 0.0

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> Writer:
        self._lock_cm = db.writer_lock(self.home, self._wait_message)
        self._lock_cm.__enter__()
        try:
            self.con = db.open_writer(self.path)
        except BaseException:
            self._lock_cm.__exit__(None, None, None)
            raise
        first = db.snapshot_version(self.snapshots) == 0
        self.changed = self._rebuild_all = first or not leaderboard.exists(self.con)
        self._last_publish = time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None
        try:
            if self.changed:
                self._refresh_read_tables()
            self.con.close()
            if self.changed:
                db.publish_snapshot(self.path, self.snapshots)
        finally:
            self._lock_cm.__exit__(*exc)

    def _refresh_read_tables(self) -> None:
        if self._rebuild_all:
            leaderboard.rebuild(self.con)
        elif self._touched:
            leaderboard.rebuild(self.con, models=sorted(self._touched))
        self._rebuild_all, self._touched = False, set()
        self.con.execute("INSERT OR REPLACE INTO meta VALUES ('ingested_at', ?)", [datetime.now(UTC).isoformat()])
        self.con.execute("CHECKPOINT")

    def publish(self) -> int:
        """Refresh the leaderboard rows, checkpoint and publish a read snapshot now (mid-session)."""
        started = time.monotonic()
        self._refresh_read_tables()
        version = db.publish_snapshot(self.path, self.snapshots)
        self.changed = False
        self._last_publish = time.monotonic()
        self._publish_cost = self._last_publish - started
        return version

    def _maybe_publish(self) -> None:
        """During a long import: publish every few seconds, at most ~5% of the time spent (0: every batch)."""
        if self.publish_every_s is None or not self.changed:
            return
        wait = self.publish_every_s and max(self.publish_every_s, self._publish_cost / PUBLISH_COST_SHARE)
        if time.monotonic() - self._last_publish >= wait:
            self.publish()

    def _in_transaction(self, fn, *args):
        self.con.execute("BEGIN")
        try:
            result = fn(*args)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.changed = True
        return result

    def _seen(self, sha: str) -> bool:
        return self.con.execute("SELECT 1 FROM ingested_files WHERE content_sha = ?", [sha]).fetchall() != []

    def _seen_among(self, shas: list[str]) -> set[str]:
        if not shas:
            return set()
        rows = self.con.execute("SELECT content_sha FROM ingested_files WHERE content_sha IN (SELECT unnest(?))",
                                [shas]).fetchall()
        return {r[0] for r in rows}

    def _mark_seen(self, sha: str, kind: str, path: str) -> None:
        self.con.execute("INSERT INTO ingested_files VALUES (?, ?, ?, now())", [sha, kind, path])

    # -- batched inserts -------------------------------------------------------------------------
    def _insert(self, table: str, columns: dict[str, pa.DataType], rows: list[tuple], *,
                select: str | None = None, suffix: str = "") -> None:
        if not rows:
            return
        frame = _frame(columns, rows)
        self.con.register("_frame", frame)
        try:
            cols = ", ".join(columns)
            self.con.execute(f"INSERT INTO {table} {select or f'({cols}) SELECT {cols} FROM _frame'} {suffix}")
        finally:
            self.con.unregister("_frame")

    def _write(self, loads: list[Load]) -> None:
        """Insert the rows of these files (inside the caller's transaction)."""
        models = _merge_models(loads)
        cols = list(MODEL_COLUMNS)
        sets = ", ".join(f"{c} = coalesce(excluded.{c}, models.{c})" for c in cols[1:])
        # a results file names its model and nothing else about it: such rows only make sure the model
        # exists (cheap), the others fill in what the model lacks
        bare = [m for m in models if not any(v is not None for v in m[1:])]
        self._insert("models", {"model_id": _S}, [m[:1] for m in bare],
                     select="(model_id, updated_at) SELECT f.model_id, now() FROM _frame f "
                            "ANTI JOIN models m ON m.model_id = f.model_id")
        self._insert("models", MODEL_COLUMNS, [m for m in models if any(v is not None for v in m[1:])],
                     select=f"({', '.join(cols)}, updated_at) SELECT *, now() FROM _frame",
                     suffix=f"ON CONFLICT (model_id) DO UPDATE SET {sets}, updated_at = now()")
        runs = _frame(RUN_COLUMNS, [r for load in loads for r in load.runs])
        benchmark_scores = _frame(BENCHMARK_SCORE_COLUMNS, [r for load in loads for r in load.benchmark_scores])
        self.con.register("_runs", runs)
        self.con.register("_benchmark_scores", benchmark_scores)
        try:
            if runs.num_rows:
                self.con.execute(f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}, ingested_at) SELECT *, now() FROM _runs")
            if benchmark_scores.num_rows:
                cols = ", ".join(BENCHMARK_SCORE_COLUMNS)
                self.con.execute(f"INSERT INTO benchmark_scores ({cols}) SELECT {cols} FROM _benchmark_scores")
            if runs.num_rows and not self._rebuild_all:  # else the full rebuild at publish makes runs_wide
                leaderboard.append_runs(self.con, "(SELECT *, now() AS ingested_at FROM _runs)", "_benchmark_scores")
        finally:
            self.con.unregister("_runs")
            self.con.unregister("_benchmark_scores")
        self._insert("scores", SCORE_COLUMNS, [r for load in loads for r in load.scores])
        self._insert("flags", FLAG_COLUMNS, [r for load in loads for r in load.flags],
                     select="OR IGNORE SELECT flag_id, model_id, 'other', 'flagged on the Open LLM Leaderboard', "
                            "'import', now(), 'open', NULL, NULL FROM _frame")
        self._insert("ingested_files", SEEN_COLUMNS, [r for load in loads for r in load.seen],
                     select="SELECT *, now() FROM _frame")
        self._touched.update(m[0] for m in models)

    def _commit(self, loads: list[Load], report: ImportReport | None = None) -> None:
        """One transaction for the batch; if it fails, one per file, so only the culprit fails.

        Without a report, a failure is raised (a single file whose caller wants the error)."""
        if not loads:
            return
        try:
            self._in_transaction(self._write, loads)
        except (duckdb.Error, pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
            if report is None:
                raise
            if len(loads) == 1:
                report.errors.append(f"{loads[0].label}: {exc}")
                return
            for load in loads:
                self._commit([load], report)
            return
        if report is not None:
            report.loaded.extend(load.label for load in loads)

    # -- models ----------------------------------------------------------------------------------
    def upsert_model(self, model_id: str, **fields) -> None:
        """Create the model or fill in what it lacks; later non-empty values win."""
        cols = ["license", "params_b", "architecture", "model_type", "weight_type", "base_model",
                "merged", "moe", "available_on_hub", "hub_hearts", "source"]
        values = [fields.get(c) for c in cols]
        sets = ", ".join(f"{c} = coalesce(excluded.{c}, models.{c})" for c in cols)
        self.con.execute(
            f"INSERT INTO models (model_id, {', '.join(cols)}, updated_at) VALUES (?, {', '.join('?' * len(cols))}, now()) "
            f"ON CONFLICT (model_id) DO UPDATE SET {sets}, updated_at = now()",
            [model_id, *values],
        )
        self._touched.add(model_id)

    # -- runs ------------------------------------------------------------------------------------
    def ingest_bundle(self, bundle: Path) -> bool:
        """Load one of our workers' result bundles; False when it was loaded before."""
        bundle = Path(bundle)
        results_bytes = (bundle / "results.json").read_bytes()
        sha = content_sha(results_bytes)
        run_id = sha[:32]
        if self._seen(run_id):
            return False
        run = json.loads((bundle / "run.json").read_text())
        request = json.loads((bundle / "request.json").read_text())
        parsed = parse_results(loads(results_bytes), source_file=str(bundle / "results.json"))
        samples = sorted(bundle.glob("samples_*.jsonl"))
        samples_file = self._write_samples(run_id, samples) if samples else None
        load = Load(str(bundle), seen=[(run_id, "bundle", str(bundle))])
        run_rows(parsed, load, run_id=run_id, origin="worker", source_file=str(bundle / "results.json"),
                 raw_file=keep_raw(self.home, sha, results_bytes), extra={
                     "request_id": request["request_id"], "model_id": request["model"], "sha": request["sha"],
                     "precision": request["precision"], "weight_type": request["weight_type"],
                     "model_type": request["model_type"], "use_chat_template": request["use_chat_template"],
                     "params_b": request.get("params"), "license": request.get("license") or None,
                     "base_model": request.get("base_model"), "source": request.get("source"),
                     "architecture": request.get("architectures") or None,
                     "started_at": run.get("started_at"), "finished_at": run.get("finished_at"),
                     "duration_s": run.get("duration_s"), "device": run.get("device"), "dtype": run.get("dtype"),
                     "bundle_path": str(bundle), "samples_file": samples_file,
                 })
        self._commit([load])
        return True

    def _write_samples(self, run_id: str, files: list[Path]) -> str:
        """Per-sample details go to one Parquet file per run, read through the `samples` view."""
        from warehouse.samples import write_samples_parquet

        self.samples_dir.mkdir(parents=True, exist_ok=True)
        return str(write_samples_parquet(run_id, files, self.samples_dir))

    def import_results(self, paths: Iterable[Path], progress=None) -> ImportReport:
        """Load lm-eval / lighteval results files; one transaction per batch of files (see ``_commit``).

        This process reads and hashes each file and skips those seen before; the new ones are parsed,
        checked and scored in a small process pool when there are many (``IMPORT_WORKERS``), while this
        process inserts the previous batch. Only this process writes to the database."""
        report = ImportReport()
        paths = [Path(p) for p in paths]
        pool = self._pool() if len(paths) >= POOL_MIN_FILES and IMPORT_WORKERS > 1 else None
        pending: deque[tuple[list[str], list]] = deque()  # parsed (or being parsed) batches, oldest first
        for start in range(0, len(paths), BATCH_FILES):
            new = self._new_files(paths[start:start + BATCH_FILES], report, progress)
            pending.append(([f[2] for f in new], self._parse_batch(new, pool)))
            if len(pending) > 1:
                self._finish_batch(pending.popleft(), report, progress)
        while pending:
            self._finish_batch(pending.popleft(), report, progress)
        return report

    def _new_files(self, paths: list[Path], report: ImportReport,
                   progress) -> list[tuple[Path, bytes, str, tuple[int, int]]]:
        """Read and hash the files; report the unreadable and the unchanged (seen before, by content)."""
        chunk = []
        for path in paths:
            try:
                stamp = _stamp(path)
                data = path.read_bytes()
            except OSError as exc:
                report.errors.append(f"{path}: {exc}")
                if progress:
                    progress(1)
                continue
            chunk.append((path, data, content_sha(data), stamp))
        seen = self._seen_among([f[2] for f in chunk]) | self._in_flight
        new = []
        for path, data, sha, stamp in chunk:
            if sha in seen:
                report.unchanged.append(str(path))
                if progress:
                    progress(1)
            else:
                seen.add(sha)
                self._in_flight.add(sha)
                new.append((path, data, sha, stamp))
        return new

    def _parse_batch(self, files: list[tuple[Path, bytes, str, tuple[int, int]]], pool) -> list:
        """A batch's Loads and error messages, in file order: results now, or futures from the pool."""
        if pool is None:
            return [load_results_file(self.home, path, data, sha) for path, data, sha, _ in files]
        return [pool.submit(load_results_files, self.home,
                            [(path, sha, stamp) for path, _, sha, stamp in files[i:i + POOL_CHUNK]])
                for i in range(0, len(files), POOL_CHUNK)]

    def _finish_batch(self, batch: tuple[list[str], list], report: ImportReport, progress) -> None:
        shas, parsed = batch
        outcomes = [o for part in parsed for o in part.result()] if parsed and isinstance(parsed[0], Future) \
            else parsed
        loads = []
        for outcome in outcomes:
            if isinstance(outcome, str):
                report.errors.append(outcome)
            else:
                loads.append(outcome)
        self._commit(loads, report)
        self._in_flight.difference_update(shas)
        if progress:
            for _ in outcomes:
                progress(1)
        self._maybe_publish()

    def _pool(self) -> ProcessPoolExecutor:
        # fork: workers start at once and never re-run the caller's script (spawn and forkserver do). They
        # use no DuckDB: they parse, score and keep raw copies; file locks are not inherited, and they exit
        # without running atexit handlers.
        if self._executor is None:
            self._executor = ProcessPoolExecutor(IMPORT_WORKERS, mp_context=multiprocessing.get_context("fork"))
        return self._executor

    # -- requests --------------------------------------------------------------------------------
    def upsert_request(self, record: dict, *, origin: str = "worker", source_file: str | None = None) -> None:
        """Store a request record (ours) with its whole status history."""

        def load() -> None:
            self._upsert_request_row(record, origin=origin, source_file=source_file)

        self._in_transaction(load)

    def _upsert_request_row(self, r: dict, *, origin: str, source_file: str | None) -> None:
        rid = r["request_id"]
        fingerprint = r.get("fingerprint")
        log_tail = r.get("log_tail")
        self.upsert_model(r["model"], params_b=r.get("params"), model_type=r.get("model_type"),
                          weight_type=r.get("weight_type"), license=r.get("license") or None,
                          base_model=r.get("base_model") or None, source=r.get("source") or None,
                          architecture=r.get("architectures") or None)
        self.con.execute("DELETE FROM requests WHERE request_id = ?", [rid])
        self.con.execute(
            "INSERT INTO requests (request_id, model_id, base_model, revision, sha, precision, weight_type, model_type,"
            " model_type_raw, use_chat_template, sender, submitted_time, job_id, job_start_time, status, failure_kind,"
            " failure_reason, attempts, params_b, architectures, license, fingerprint, source, source_file, log_tail,"
            " progress, progress_task, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                rid, r["model"], r.get("base_model") or None, r.get("revision"), r.get("sha"), r.get("precision"),
                r.get("weight_type"), r.get("model_type"), r.get("model_type_raw", r.get("model_type")),
                bool(r.get("use_chat_template")), r.get("sender"), _ts(r.get("submitted_time")),
                str(r.get("job_id") or "") or None, _ts(r.get("job_start_time")), r["status"],
                r.get("failure_kind"), r.get("failure_reason"), r.get("attempts", 0), r.get("params"),
                r.get("architectures") or None, r.get("license") or None,
                json.dumps(fingerprint) if fingerprint else None, origin, source_file, log_tail,
                r.get("progress"), r.get("progress_task"), json.dumps(r, default=str),
            ],
        )
        self.con.execute("DELETE FROM request_events WHERE request_id = ?", [rid])
        events = [(rid, i, h["status"], _ts(h.get("at")), h.get("reason"), h.get("origin"))
                  for i, h in enumerate(r.get("history") or [])]
        if events:
            self.con.executemany("INSERT INTO request_events VALUES (?, ?, ?, ?, ?, ?)", events)

    def import_requests(self, paths: Iterable[Path], progress=None) -> ImportReport:
        from warehouse.request_import import merge_imported_request

        report = ImportReport()
        for path in paths:
            data = Path(path).read_bytes()
            sha = content_sha(data)
            if self._seen(sha):
                report.unchanged.append(str(path))
            else:
                try:
                    parsed = parse_request(Path(path))

                    def load(parsed=parsed, sha=sha, path=path) -> None:
                        merge_imported_request(self, parsed)
                        self._mark_seen(sha, "request", str(path))

                    self._in_transaction(load)
                    report.loaded.append(str(path))
                except FormatError as exc:
                    report.errors.append(str(exc))
                except (json.JSONDecodeError, UnicodeDecodeError, duckdb.Error) as exc:
                    report.errors.append(f"{path}: {exc}")
            if progress:
                progress(1)
        return report

    # -- contents --------------------------------------------------------------------------------
    def import_contents(self, path: Path, progress=None) -> ImportReport:
        """The leaderboard's `contents` table: the whole file in one transaction."""
        from warehouse.contents_import import contents_load

        report = ImportReport()
        data = Path(path).read_bytes()
        sha = content_sha(data)
        if self._seen(sha):
            report.unchanged.append(str(path))
            return report
        try:
            frame = read_contents(Path(path))
            load = contents_load(self, frame, source_file=str(path))
        except (FormatError, OSError, ValueError, TypeError) as exc:
            report.errors.append(f"{path}: {exc}")
            return report
        load.seen.append((sha, "contents", str(path)))
        self._commit([load], report)
        if progress:
            progress(len(load.runs))
        return report
