"""Maintainer actions on the queue: relaunch a failed request, rebuild the queue from request records."""

from __future__ import annotations

from core.settings import Config, is_maintainer
from evaluator.jobs import enqueue
from evaluator.lifecycle import Lifecycle
from evaluator.queue import evaluation_queue
from evaluator.requests import RequestStatus


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
    life = Lifecycle(cfg)
    req = life.store.load(request_id)
    if req.status != RequestStatus.FAILED:
        raise ValueError(f"request {request_id} is {req.status}: only FAILED requests can be relaunched")
    life.transition(request_id, RequestStatus.PENDING, "relaunched by a maintainer", attempts=0,
                    failure_kind=None, failure_reason=None)
    return enqueue(request_id, cfg)


def reconcile(cfg: Config) -> list[str]:
    """Re-queue every PENDING request whose job the queue no longer holds (e.g. after Redis lost its data)."""
    life = Lifecycle(cfg)
    queued = set(evaluation_queue(life.conn, cfg.job_timeout).get_job_ids())
    requeued = []
    for req in life.store.all():
        if req.status == RequestStatus.PENDING and req.job_id not in queued:
            enqueue(req.request_id, cfg)
            requeued.append(req.request_id)
        else:
            life.tell_writer(req.request_id)
    return requeued
