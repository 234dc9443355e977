"""The one owner of a request's lifecycle: each change is recorded in the request's file and handed to
the ingest writer in one call, so no caller can do one without the other.

``RequestStore`` (evaluator/requests.py) keeps the files and checks that a transition is allowed;
this module adds the nudge to the writer, which applies only the events it has not stored yet.
"""

from __future__ import annotations

from pathlib import Path

import redis

from core.settings import Config
from evaluator.queue import connect, notify_ingest
from evaluator.requests import Request, RequestStatus, RequestStore


class Lifecycle:
    def __init__(self, cfg: Config, conn: redis.Redis | None = None):
        self.cfg = cfg
        self.store = RequestStore(cfg.requests_dir)
        self._conn = conn

    @property
    def conn(self) -> redis.Redis:
        if self._conn is None:
            self._conn = connect(self.cfg.redis_url)
        return self._conn

    def tell_writer(self, request_id: str) -> None:
        notify_ingest(self.conn, "request", request_id=request_id)

    def create(self, req: Request) -> Request:
        """Record a new request (PENDING); the caller holds ``store.locked()`` and enqueues it."""
        return self.store.create(req)

    def transition(self, request_id: str, status: RequestStatus, reason: str = "", *,
                   bundle: Path | None = None, **updates) -> Request:
        """Move a request to ``status`` (recording the event) and tell the writer; a FINISHED request
        hands over its result bundle first, so the run is stored before the request says it is done."""
        req = self.store.transition(request_id, status, reason, **updates)
        if bundle is not None:
            notify_ingest(self.conn, "bundle", path=str(bundle), request_id=request_id)
        self.tell_writer(request_id)
        return req

    def update(self, request_id: str, *, tell_writer: bool = True, **updates) -> Request:
        """Change fields without a status event (the job id, live progress: ``tell_writer=False``,
        since pages read progress from the record itself)."""
        req = self.store.update(request_id, **updates)
        if tell_writer:
            self.tell_writer(request_id)
        return req
