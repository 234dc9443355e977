"""The job queue: Redis/Valkey connections, the evaluation queue and the ingest writer's inbox."""

from __future__ import annotations

import json

import redis
from rq import Queue

EVALUATIONS = "llmboard-evaluations"
INGEST_INBOX = "llmboard:ingest"


class QueueUnavailable(RuntimeError):
    """No queue to talk to; the message (one line) says what to do."""


NO_QUEUE = ("no queue: start `llmboard up` with this LLMBOARD_HOME (it records its queue there), "
            "or set REDIS_URL to a running Redis/Valkey")


def connect(url: str) -> redis.Redis:
    if not url:
        raise QueueUnavailable(NO_QUEUE)
    try:
        return redis.Redis.from_url(url)
    except ValueError as exc:
        raise QueueUnavailable(f"REDIS_URL={url!r} is not a Redis URL ({exc}); expected redis://host:port/db") from None


def check_reachable(conn: redis.Redis, url: str) -> None:
    """Fail at once, with what to do, when the queue does not answer."""
    try:
        conn.ping()
    except redis.RedisError as exc:
        raise QueueUnavailable(f"the queue at {url} does not answer ({exc}): start `llmboard up`, "
                               "or set REDIS_URL to a running Redis/Valkey") from None


def evaluation_queue(conn: redis.Redis, timeout: int = 3600) -> Queue:
    return Queue(EVALUATIONS, connection=conn, default_timeout=timeout)


def notify_ingest(conn: redis.Redis, kind: str, **payload) -> None:
    """Hand something to the single ingest writer: a result bundle, or a changed request record."""
    conn.rpush(INGEST_INBOX, json.dumps({"kind": kind, **payload}))


def drain_ingest(conn: redis.Redis, block_s: float, max_items: int = 500) -> list[dict]:
    """Wait up to block_s for the first item, then take whatever else is waiting (up to max_items)."""
    first = conn.blpop([INGEST_INBOX], timeout=block_s) if block_s > 0 else conn.lpop(INGEST_INBOX)
    if not first:
        return []
    raw = first[1] if isinstance(first, tuple | list) else first
    items = [json.loads(raw)]
    while len(items) < max_items:
        more = conn.lpop(INGEST_INBOX)
        if more is None:
            break
        items.append(json.loads(more))
    return items
