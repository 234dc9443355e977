"""The leaderboard's request files (its v1 and v2 shapes), merged into one request per entry.

The same request file read at several dataset revisions is one request with a status history: each
revision's status is an event, kept in status order (statuses only move forward), and the most
advanced one is the request's current status.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import duckdb

from warehouse.formats import FormatError, ParsedRequest, parse_request
from warehouse.importers.quarantine import file_entry, one_line
from warehouse.importers.source_files import ImportReport, Progress, content_sha
from warehouse.rows import IngestedFileRow
from warehouse.writer import Writer

KIND = "request"

STATUS_ORDER = {"PENDING": 0, "RERUN": 0, "RUNNING": 1, "FINISHED": 2, "FAILED": 2, "FAILED_2": 2}


def imported_request_id(p: ParsedRequest) -> str:
    key = "\x1f".join(str(x) for x in (p.model, p.revision, p.precision, p.weight_type, p.format))
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def merged_request_record(p: ParsedRequest, history: list[tuple[str, str | None]]) -> dict:
    """The request record of an imported file, given the (status, origin) events stored for it so far."""
    rid = imported_request_id(p)
    status = (p.status or "PENDING").upper()
    origin = p.dataset_revision or p.source_file
    events = list(history)
    if (status, origin) not in events:
        events.append((status, origin))
    events.sort(key=lambda e: STATUS_ORDER.get(e[0], 1))
    return {
        "request_id": rid, "model": p.model, "base_model": p.base_model, "revision": p.revision,
        "sha": p.revision if p.revision and len(p.revision) == 40 else None, "precision": p.precision,
        "weight_type": p.weight_type, "model_type": p.model_type, "model_type_raw": p.model_type_raw,
        "use_chat_template": p.use_chat_template, "sender": p.sender, "submitted_time": p.submitted_time,
        "job_id": p.job_id, "job_start_time": p.job_start_time, "status": events[-1][0], "params": p.params_b,
        "architectures": p.architectures, "license": p.license,
        "history": [{"status": s, "at": p.submitted_time if i == 0 else None, "origin": o}
                    for i, (s, o) in enumerate(events)],
    }


def merge_imported_request(writer: Writer, p: ParsedRequest) -> None:
    """Store one imported request file, merged with what the warehouse holds of its request (inside the
    caller's transaction); the file itself is the row's raw JSON."""
    record = merged_request_record(p, writer.request_history(imported_request_id(p)))
    writer.apply_request(record, origin="import", source_file=p.source_file, raw=p.raw)


def import_requests(writer: Writer, paths: Iterable[Path], progress: Progress = None) -> ImportReport:
    """Load request files, each in its own transaction; a file seen before (by content) is skipped, and a
    file that cannot be parsed or stored is quarantined with its reason (the others load)."""
    report = ImportReport(KIND)
    for path in map(Path, paths):
        try:
            data = path.read_bytes()
        except OSError as exc:
            report.failed.append(str(path))
            report.errors.append(f"{path}: cannot be read: {one_line(exc)}")
        else:
            report.rows_read += 1
            _import_request(writer, path, data, report)
        if progress:
            progress(1)
    return report


def _import_request(writer: Writer, path: Path, data: bytes, report: ImportReport) -> None:
    sha = content_sha(data)
    if writer.seen(sha):
        report.unchanged.append(str(path))
        report.rows_unchanged += 1
        return
    try:
        parsed = parse_request(path)
        with writer.transaction():
            merge_imported_request(writer, parsed)
            writer.mark_seen(IngestedFileRow(sha, KIND, str(path)))
            writer.record_quarantine({(KIND, str(path))}, [])
    except FormatError as exc:
        reason = str(exc)
    except (json.JSONDecodeError, UnicodeDecodeError, duckdb.Error, ValueError, TypeError, RecursionError) as exc:
        reason = f"{path}: {one_line(exc)}"
    else:
        report.loaded.append(str(path))
        report.rows_loaded += 1
        return
    entry = file_entry(writer.home, KIND, path, data, sha, reason)
    report.failed.append(str(path))
    report.errors.append(entry.reason)
    try:
        with writer.transaction():
            writer.record_quarantine({(KIND, str(path))}, [entry])
        report.quarantined.append(entry)
    except duckdb.Error as exc:
        report.errors.append(f"{path}: not quarantined: {one_line(exc)}")
