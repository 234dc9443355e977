"""Finding evaluations whose worker died: a heartbeat per running request, and a sweep for lost ones.

A running evaluation refreshes ``llmboard:heartbeat:<request_id>`` every 10 s with a 30 s expiry. If
the worker and its work-horse are killed, the key expires; the sweep (run by the ingest writer every
few seconds) then puts the request back to PENDING and re-queues it, or fails it after the retries.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import redis

from core.settings import Config
from evaluator.requests import RequestStatus, RequestStore

HEARTBEAT_TTL_S = 30
HEARTBEAT_EVERY_S = 10
LOST_REASON = f"the worker was lost (no heartbeat for {HEARTBEAT_TTL_S} s)"


def heartbeat_key(request_id: str) -> str:
    return f"llmboard:heartbeat:{request_id}"


@contextlib.contextmanager
def heartbeat(conn: redis.Redis, request_id: str, who: str) -> Iterator[None]:
    key = heartbeat_key(request_id)
    conn.set(key, who, ex=HEARTBEAT_TTL_S)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_EVERY_S):
            try:
                conn.set(key, who, ex=HEARTBEAT_TTL_S)
            except redis.RedisError:
                pass  # the next beat tries again; a long outage makes the sweep retry the request

    thread = threading.Thread(target=beat, name=f"heartbeat-{request_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(redis.RedisError):
            conn.delete(key)


def sweep_lost(cfg: Config, conn: redis.Redis) -> list[str]:
    """Retry (or fail) every RUNNING request whose heartbeat has expired; returns their ids."""
    from evaluator.jobs import fail_infrastructure

    lost = []
    for req in RequestStore(cfg.requests_dir).all():
        if req.status == RequestStatus.RUNNING and not conn.exists(heartbeat_key(req.request_id)):
            fail_infrastructure(cfg, req.request_id, LOST_REASON)
            lost.append(req.request_id)
    return lost
