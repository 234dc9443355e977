"""Imported request files (the leaderboard's v1 and v2 shapes) merged into one request per entry.

The same request file read at several dataset revisions is one request with a status history.
"""

from __future__ import annotations

import hashlib
import json

from warehouse.formats import ParsedRequest

STATUS_ORDER = {"PENDING": 0, "RERUN": 0, "RUNNING": 1, "FINISHED": 2, "FAILED": 2, "FAILED_2": 2}


def imported_request_id(p: ParsedRequest) -> str:
    key = "\x1f".join(str(x) for x in (p.model, p.revision, p.precision, p.weight_type, p.format))
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def merge_imported_request(writer, p: ParsedRequest) -> None:
    con = writer.con
    rid = imported_request_id(p)
    status = (p.status or "PENDING").upper()
    origin = p.dataset_revision or p.source_file
    events = con.execute("SELECT status, origin FROM request_events WHERE request_id = ? ORDER BY seq",
                         [rid]).fetchall()
    if (status, origin) not in events:
        events.append((status, origin))
    # Statuses only move forward; the most advanced one seen at any revision is the current one.
    events.sort(key=lambda e: STATUS_ORDER.get(e[0], 1))
    current = events[-1][0]
    record = {
        "request_id": rid, "model": p.model, "base_model": p.base_model, "revision": p.revision,
        "sha": p.revision if p.revision and len(p.revision) == 40 else None, "precision": p.precision,
        "weight_type": p.weight_type, "model_type": p.model_type, "model_type_raw": p.model_type_raw,
        "use_chat_template": p.use_chat_template, "sender": p.sender, "submitted_time": p.submitted_time,
        "job_id": p.job_id, "job_start_time": p.job_start_time, "status": current, "params": p.params_b,
        "architectures": p.architectures, "license": p.license,
        "history": [{"status": s, "at": p.submitted_time if i == 0 else None, "origin": o}
                    for i, (s, o) in enumerate(events)],
    }
    writer._upsert_request_row(record, origin="import", source_file=p.source_file)
    con.execute("UPDATE requests SET raw = ? WHERE request_id = ?", [json.dumps(p.raw, default=str), rid])
