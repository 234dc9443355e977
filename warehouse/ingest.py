"""The one writer. Every write to the warehouse goes through a ``Writer``.

A Writer holds the single-writer lock and a connection to ``warehouse.duckdb``; each file is loaded
in its own transaction (all or nothing), and closing the Writer rebuilds the prebuilt leaderboard
tables and publishes a new read snapshot.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse import db, leaderboard
from warehouse.benchmarks import suite as suite_by_name
from warehouse.formats import FormatError, ParsedResults, parse_request, parse_results, read_contents
from warehouse.scoring import score_run


@dataclass
class ImportReport:
    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.loaded)} loaded, {len(self.unchanged)} unchanged, {len(self.errors)} failed"


def content_sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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


class Writer:
    def __init__(self, home: Path, *, wait_message: str | None = "waiting for the ingest writer's lock..."):
        self.home = Path(home)
        self.path = self.home / "warehouse.duckdb"
        self.samples_dir = self.home / "samples"
        self._wait_message = wait_message
        self._lock_cm = None
        self.con: duckdb.DuckDBPyConnection | None = None
        self.changed = False

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> Writer:
        self._lock_cm = db.writer_lock(self.home, self._wait_message)
        self._lock_cm.__enter__()
        try:
            self.con = db.open_writer(self.path)
        except BaseException:
            self._lock_cm.__exit__(None, None, None)
            raise
        first = db.snapshot_version(self.home / "snapshots") == 0
        self.changed = first
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self.changed:
                leaderboard.rebuild(self.con)
                self.con.execute("INSERT OR REPLACE INTO meta VALUES ('ingested_at', ?)", [datetime.now(UTC).isoformat()])
                self.con.execute("CHECKPOINT")
            self.con.close()
            if self.changed:
                db.publish_snapshot(self.path, self.home / "snapshots")
        finally:
            self._lock_cm.__exit__(*exc)

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
        return self.con.execute("SELECT 1 FROM ingested_files WHERE content_sha = ?", [sha]).fetchone() is not None

    def _mark_seen(self, sha: str, kind: str, path: str) -> None:
        self.con.execute("INSERT INTO ingested_files VALUES (?, ?, ?, now())", [sha, kind, path])

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

    # -- runs ------------------------------------------------------------------------------------
    def _insert_run(self, parsed: ParsedResults, *, run_id: str, origin: str, source_file: str,
                    extra: dict | None = None) -> None:
        extra = extra or {}
        try:
            suite = suite_by_name(parsed.suite)
        except KeyError:
            suite = None
        scored = score_run(parsed, suite) if suite is not None else None
        model_id = extra.get("model_id") or parsed.model
        self.upsert_model(model_id, params_b=extra.get("params_b"), model_type=extra.get("model_type"),
                          weight_type=extra.get("weight_type"), license=extra.get("license"),
                          base_model=extra.get("base_model") or None, source=extra.get("source"),
                          architecture=extra.get("architecture"))
        self.con.execute(
            "INSERT INTO runs (run_id, request_id, model_id, sha, precision, weight_type, model_type, use_chat_template,"
            " suite, lm_eval_version, transformers_version, task_hashes, started_at, finished_at, duration_s, device,"
            " dtype, params_b, co2_kg, average, origin, source_file, bundle_path, samples_file, raw, ingested_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
            [
                run_id, extra.get("request_id"), model_id, extra.get("sha") or parsed.sha,
                extra.get("precision") or parsed.precision, extra.get("weight_type"), extra.get("model_type"),
                extra.get("use_chat_template", bool(parsed.chat_template)), parsed.suite, parsed.lm_eval_version,
                parsed.transformers_version, json.dumps(parsed.raw.get("task_hashes") or {}),
                _ts(extra.get("started_at")), _ts(extra.get("finished_at") or parsed.evaluated_at),
                extra.get("duration_s"), extra.get("device"), extra.get("dtype"), extra.get("params_b"),
                extra.get("co2_kg"), scored.average if scored else None, origin, source_file,
                extra.get("bundle_path"), extra.get("samples_file"), json.dumps(parsed.raw, default=str),
            ],
        )
        rows = []
        benchmark_of = {t: b.key for b in scored.benchmarks.values() for t in b.tasks} if scored else {}
        for s in [*parsed.scores, *(scored.aggregate_rows if scored else [])]:
            norm = scored.normalized_by_row.get((s.task, s.metric, s.filter)) if scored else None
            rows.append((run_id, benchmark_of.get(s.task), s.task, s.metric, s.filter, s.value, s.stderr,
                         s.n_samples, norm))
        if rows:
            self.con.executemany("INSERT OR IGNORE INTO scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        if scored:
            self.con.executemany(
                "INSERT INTO benchmark_scores VALUES (?, ?, ?, ?, ?)",
                [(run_id, b.key, b.raw, b.normalized, getattr(b, "stderr", None)) for b in scored.benchmarks.values()],
            )

    def ingest_bundle(self, bundle: Path) -> bool:
        """Load one of our workers' result bundles; False when it was loaded before."""
        bundle = Path(bundle)
        results_bytes = (bundle / "results.json").read_bytes()
        run_id = content_sha(results_bytes)[:32]
        if self._seen(run_id):
            return False
        run = json.loads((bundle / "run.json").read_text())
        request = json.loads((bundle / "request.json").read_text())
        parsed = parse_results(json.loads(results_bytes), source_file=str(bundle / "results.json"))
        samples = sorted(bundle.glob("samples_*.jsonl"))

        def load() -> None:
            samples_file = self._write_samples(run_id, samples) if samples else None
            self._insert_run(parsed, run_id=run_id, origin="worker", source_file=str(bundle / "results.json"), extra={
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
            self._mark_seen(run_id, "bundle", str(bundle))

        self._in_transaction(load)
        return True

    def _write_samples(self, run_id: str, files: list[Path]) -> str:
        """Per-sample details go to one Parquet file per run, read through the `samples` view."""
        from warehouse.samples import write_samples_parquet

        self.samples_dir.mkdir(parents=True, exist_ok=True)
        return str(write_samples_parquet(run_id, files, self.samples_dir))

    def import_results(self, paths: Iterable[Path], progress=None) -> ImportReport:
        report = ImportReport()
        for path in paths:
            data = Path(path).read_bytes()
            sha = content_sha(data)
            if self._seen(sha):
                report.unchanged.append(str(path))
            else:
                try:
                    parsed = parse_results(json.loads(data), source_file=str(path))

                    def load(parsed=parsed, sha=sha, path=path) -> None:
                        self._insert_run(parsed, run_id=sha[:32], origin="results-file", source_file=str(path))
                        self._mark_seen(sha, "results", str(path))

                    self._in_transaction(load)
                    report.loaded.append(str(path))
                except FormatError as exc:
                    report.errors.append(str(exc))
                except (json.JSONDecodeError, UnicodeDecodeError, duckdb.Error) as exc:
                    report.errors.append(f"{path}: {exc}")
            if progress:
                progress(1)
        return report

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
        from warehouse.contents_import import load_contents

        report = ImportReport()
        data = Path(path).read_bytes()
        sha = content_sha(data)
        if self._seen(sha):
            report.unchanged.append(str(path))
            return report
        try:
            frame = read_contents(Path(path))
        except (FormatError, OSError) as exc:
            report.errors.append(f"{path}: {exc}")
            return report

        def load() -> None:
            load_contents(self, frame, source_file=str(path), progress=progress)
            self._mark_seen(sha, "contents", str(path))

        self._in_transaction(load)
        report.loaded.append(str(path))
        return report
