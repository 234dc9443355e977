"""Maintainer actions on the queue: relaunch a failed request, rebuild the queue from request records."""

from __future__ import annotations

from core.settings import Config, is_maintainer
from evaluator.queue import connect, evaluation_queue, notify_ingest
from evaluator.requests import RequestStatus, RequestStore
from evaluator.submit import enqueue


class NotAllowed(PermissionError):
    pass


def require_admin(cfg: Config, token: str | None) -> None:
    if not cfg.admin_token:
        raise NotAllowed("admin_token: maintainer actions are disabled (set LLMBOARD_ADMIN_TOKEN)")
    if not is_maintainer(cfg.admin_token, token):
        raise NotAllowed("admin_token: wrong or missing maintainer token")


def relaunch(cfg: Config, request_id: str, token: str | None) -> str:
    """Put a FAILED request back in the queue (maintainers only); returns the new job id."""
    require_admin(cfg, token)
    store = RequestStore(cfg.requests_dir)
    req = store.load(request_id)
    if req.status != RequestStatus.FAILED:
        raise ValueError(f"request {request_id} is {req.status}: only FAILED requests can be relaunched")
    store.transition(request_id, RequestStatus.PENDING, "relaunched by a maintainer", attempts=0,
                     failure_kind=None, failure_reason=None)
    return enqueue(request_id, cfg)


def reconcile(cfg: Config) -> list[str]:
    """Re-queue every PENDING request whose job the queue no longer holds (e.g. after Redis lost its data)."""
    conn = connect(cfg.redis_url)
    queue = evaluation_queue(conn, cfg.job_timeout)
    queued = set(queue.get_job_ids())
    requeued = []
    for req in RequestStore(cfg.requests_dir).all():
        if req.status == RequestStatus.PENDING and req.job_id not in queued:
            enqueue(req.request_id, cfg)
            requeued.append(req.request_id)
        else:
            notify_ingest(conn, "request", request_id=req.request_id)
    return requeued
