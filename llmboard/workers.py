"""The evaluation worker (`llmboard worker`): an RQ worker on the evaluations queue."""

from __future__ import annotations

from core.settings import Config
from evaluator.queue import connect, evaluation_queue


def run_worker(cfg: Config, *, burst: bool = False, name: str | None = None) -> bool:
    from rq import Worker

    cfg.ensure_dirs()
    conn = connect(cfg.redis_url)
    worker = Worker([evaluation_queue(conn, cfg.job_timeout)], connection=conn, name=name)
    return worker.work(burst=burst, with_scheduler=False, logging_level="WARNING")
