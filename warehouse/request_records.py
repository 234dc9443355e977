"""A request record (the JSON the evaluator keeps in ``requests/``, or one merged from imported request
files) as warehouse rows: its model, its current ``requests`` row and its status history.

A record's ``history`` only ever grows, so an event is known by its position in that list.
"""

from __future__ import annotations

import json

from warehouse.rows import ModelRow, RequestEventRow, RequestRow, timestamp

COPY_FLAG_KIND = "unattributed-copy"
COPY_FLAG_AUTHOR = "llmboard"


def request_model(r: dict) -> ModelRow:
    """What the request says about its model (empty values leave the stored ones)."""
    return ModelRow(r["model"], params_b=r.get("params"), model_type=r.get("model_type"),
                    weight_type=r.get("weight_type"), license=r.get("license") or None,
                    base_model=r.get("base_model") or None, source=r.get("source") or None,
                    architecture=r.get("architectures") or None)


def request_row(r: dict, *, origin: str, source_file: str | None, raw: object = None) -> RequestRow:
    """The request's current row; ``raw`` is the source kept as JSON (the record itself by default)."""
    fingerprint = r.get("fingerprint")
    return RequestRow(
        request_id=r["request_id"], model_id=r["model"], base_model=r.get("base_model") or None,
        revision=r.get("revision"), sha=r.get("sha"), precision=r.get("precision"),
        weight_type=r.get("weight_type"), model_type=r.get("model_type"),
        model_type_raw=r.get("model_type_raw", r.get("model_type")),
        use_chat_template=bool(r.get("use_chat_template")), sender=r.get("sender"),
        submitted_time=timestamp(r.get("submitted_time")), job_id=str(r.get("job_id") or "") or None,
        job_start_time=timestamp(r.get("job_start_time")), status=r["status"],
        failure_kind=r.get("failure_kind"), failure_reason=r.get("failure_reason"),
        attempts=r.get("attempts", 0), params_b=r.get("params"), architectures=r.get("architectures") or None,
        license=r.get("license") or None, fingerprint=json.dumps(fingerprint) if fingerprint else None,
        source=origin, source_file=source_file, log_tail=r.get("log_tail"), progress=r.get("progress"),
        progress_task=r.get("progress_task"), raw=json.dumps(r if raw is None else raw, default=str),
        commit_position=r.get("commit_position"), commit_date=timestamp(r.get("commit_date")),
        commit_title=r.get("commit_title") or None,
    )


def request_events(r: dict) -> list[RequestEventRow]:
    """The record's status history, each event at its position in the list."""
    return [RequestEventRow(r["request_id"], i, h["status"], timestamp(h.get("at")), h.get("reason"), h.get("origin"))
            for i, h in enumerate(r.get("history") or [])]


def copy_flag_reason(r: dict) -> str | None:
    """Why a request's model is flagged as a possible unattributed copy; None when it is no copy."""
    copy_of = r.get("copy_of")
    if not copy_of:
        return None
    fingerprint = r.get("fingerprint") or {}
    return (f"possible unattributed copy: its weights are identical to those of {copy_of} "
            f"(sha256 of {', '.join(sorted(fingerprint))})")
