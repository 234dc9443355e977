"""Request records: the leaderboard's request-file shape plus our status history, one JSON file each.

Lifecycle: PENDING -> RUNNING -> FINISHED | FAILED (a RUNNING request whose worker died goes back to
PENDING for a retry). Files live under ``LLMBOARD_HOME/requests/<request_id>.json``; model ids are
never used as paths. Every write is atomic (temporary file, then rename).
"""

from __future__ import annotations

import contextlib
import enum
import fcntl
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path


class RequestStatus(enum.StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"


ALLOWED = {
    RequestStatus.PENDING: {RequestStatus.RUNNING, RequestStatus.FAILED},
    RequestStatus.RUNNING: {RequestStatus.FINISHED, RequestStatus.FAILED, RequestStatus.PENDING},
    RequestStatus.FAILED: {RequestStatus.PENDING},  # relaunch by a maintainer
    RequestStatus.FINISHED: set(),
}

REQUEST_ID = re.compile(r"^[0-9a-f]{16}$")


class InvalidTransition(RuntimeError):
    pass


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Request:
    request_id: str
    model: str
    revision: str
    sha: str
    precision: str
    weight_type: str = "Original"
    model_type: str = "pretrained"
    base_model: str = ""
    use_chat_template: bool = False
    sender: str = "anonymous"
    source: str = ""  # local repository path or "hub"
    status: str = RequestStatus.PENDING
    submitted_time: str = field(default_factory=now)
    params: float | None = None  # billions
    architectures: str = ""
    license: str = ""
    private: bool = False
    job_id: str = ""
    job_start_time: str | None = None
    attempts: int = 0
    failure_kind: str | None = None  # submission | infrastructure
    failure_reason: str | None = None
    fingerprint: dict[str, str] = field(default_factory=dict)  # weight file -> sha256
    copy_of: str | None = None
    gguf_file: str | None = None
    commit_date: str | None = None  # the revision's commit: date (ISO 8601), title, position (1 = first)
    commit_title: str = ""
    commit_position: int | None = None
    progress: float | None = None
    progress_task: str | None = None
    log_tail: str | None = None
    history: list[dict] = field(default_factory=list)

    @staticmethod
    def make_id(model: str, sha: str, precision: str, weight_type: str, submitted_time: str) -> str:
        key = "\x1f".join((model, sha, precision, weight_type, submitted_time))
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Request:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


class RequestStore:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def path(self, request_id: str) -> Path:
        if not REQUEST_ID.match(request_id):
            raise KeyError(f"request id {request_id!r}: expected 16 lowercase hex characters")
        return self.folder / f"{request_id}.json"

    def save(self, req: Request) -> None:
        target = self.path(req.request_id)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(req.to_json(), indent=2, sort_keys=True))
        os.replace(tmp, target)

    def load(self, request_id: str) -> Request:
        path = self.path(request_id)
        if not path.exists():
            raise KeyError(f"no request {request_id}")
        return Request.from_json(json.loads(path.read_text()))

    def all(self) -> list[Request]:
        out = []
        for p in sorted(self.folder.glob("*.json")):
            try:
                out.append(Request.from_json(json.loads(p.read_text())))
            except (json.JSONDecodeError, TypeError):
                continue
        return sorted(out, key=lambda r: r.submitted_time)

    def remove(self, request_id: str) -> None:
        """Take back a request that was never queued (its submission failed half-way)."""
        with self.locked():
            self.path(request_id).unlink(missing_ok=True)

    def create(self, req: Request) -> Request:
        req.history = [{"status": RequestStatus.PENDING, "at": req.submitted_time, "reason": "submitted"}]
        self.save(req)
        return req

    @contextlib.contextmanager
    def locked(self):
        """Serialise read-modify-write of request files across processes."""
        with open(self.folder / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def update(self, request_id: str, **updates) -> Request:
        with self.locked():
            req = self.load(request_id)
            for key, value in updates.items():
                setattr(req, key, value)
            self.save(req)
            return req

    def transition(self, request_id: str, status: RequestStatus, reason: str = "", **updates) -> Request:
        with self.locked():
            return self._transition(request_id, status, reason, **updates)

    def _transition(self, request_id: str, status: RequestStatus, reason: str, **updates) -> Request:
        req = self.load(request_id)
        current = RequestStatus(req.status)
        if status not in ALLOWED[current]:
            raise InvalidTransition(f"request {request_id}: {current} -> {status} is not allowed")
        req.status = status
        for key, value in updates.items():
            setattr(req, key, value)
        req.history.append({"status": status, "at": now(), "reason": reason})
        self.save(req)
        return req
