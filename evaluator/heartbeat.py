"""A heartbeat per running evaluation, so that a worker killed outright is noticed.

A running evaluation refreshes ``llmboard:heartbeat:<request_id>`` every 10 s with a 30 s expiry. If
the worker and its work-horse are killed, the key expires and ``evaluator.recovery.sweep_lost``
retries the request.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import redis

HEARTBEAT_TTL_S = 30
HEARTBEAT_EVERY_S = 10


def heartbeat_key(request_id: str) -> str:
    return f"llmboard:heartbeat:{request_id}"


def is_alive(conn: redis.Redis, request_id: str) -> bool:
    return bool(conn.exists(heartbeat_key(request_id)))


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
