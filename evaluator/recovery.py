"""Finding evaluations whose worker died: the sweep for requests whose heartbeat expired.

Run by the ingest writer every few seconds: each RUNNING request without a live heartbeat
(evaluator/heartbeat.py) goes back to PENDING and is re-queued, or fails after the retries.
"""

from __future__ import annotations

import redis

from core.settings import Config
from evaluator.heartbeat import HEARTBEAT_TTL_S, is_alive
from evaluator.jobs import fail_infrastructure
from evaluator.requests import RequestStatus, RequestStore

LOST_REASON = f"the worker was lost (no heartbeat for {HEARTBEAT_TTL_S} s)"


def sweep_lost(cfg: Config, conn: redis.Redis) -> list[str]:
    """Retry (or fail) every RUNNING request whose heartbeat has expired; returns their ids."""
    lost = []
    for req in RequestStore(cfg.requests_dir).all():
        if req.status == RequestStatus.RUNNING and not is_alive(conn, req.request_id):
            fail_infrastructure(cfg, req.request_id, LOST_REASON)
            lost.append(req.request_id)
    return lost
