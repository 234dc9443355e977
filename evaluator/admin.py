"""Maintainer actions on the queue: relaunch failed requests (``evaluator.maintainers``), rebuild the queue
from request records."""

from __future__ import annotations

from core.settings import Config
from evaluator.jobs import enqueue
from evaluator.lifecycle import Lifecycle
from evaluator.maintainers import relaunch, relaunch_failed_infrastructure
from evaluator.queue import evaluation_queue
from evaluator.requests import RequestStatus
from warehouse.maintenance import NotAllowed, check_token

__all__ = ["NotAllowed", "reconcile", "relaunch", "relaunch_failed_infrastructure", "require_admin"]


def require_admin(cfg: Config, token: str | None) -> None:
    """Refuse (NotAllowed, one line) unless ``token`` is the maintainers' admin token."""
    check_token(cfg.admin_token, token)


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
