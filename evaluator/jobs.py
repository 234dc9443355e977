"""RQ jobs: plain functions with primitive arguments, so a worker anywhere needs only the request id."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from core.settings import Config
from evaluator.checks import SubmissionError
from evaluator.queue import connect, notify_ingest
from evaluator.recovery import heartbeat
from evaluator.requests import InvalidTransition, RequestStatus, RequestStore

LOG_TAIL_LINES = 40
TIMEOUT_GRACE_S = 30  # past the job timeout, a run that still goes on is ended by the watchdog


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


@contextlib.contextmanager
def captured_log(path: Path):
    """Send this run's logging, stdout and stderr to its log file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", buffering=1) as fh:
        handler = logging.StreamHandler(fh)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        old_level = root.level
        root.setLevel(logging.INFO)
        try:
            with contextlib.redirect_stdout(fh), contextlib.redirect_stderr(fh):
                yield fh
        finally:
            root.removeHandler(handler)
            root.setLevel(old_level)


def evaluate(request_id: str) -> str | None:
    """Evaluate one request end to end; returns the result bundle's path."""
    from rq import get_current_job

    cfg = Config.from_env()
    store = RequestStore(cfg.requests_dir)
    conn = connect(cfg.redis_url)
    job = get_current_job()
    req = store.load(request_id)
    if req.status != RequestStatus.PENDING:
        return None  # already taken, finished or failed: one request is never evaluated twice at once
    worker = job.worker_name if job else "?"
    with heartbeat(conn, request_id, worker):
        try:
            req = store.transition(request_id, RequestStatus.RUNNING, f"worker {worker}",
                                   attempts=req.attempts + 1, job_start_time=datetime.now(UTC).isoformat(),
                                   job_id=job.id if job else "", progress=0.0, progress_task="starting")
        except InvalidTransition:
            return None  # another worker took it first
        notify_ingest(conn, "request", request_id=request_id)
        return _run(cfg, store, conn, job, req)


def _run(cfg: Config, store: RequestStore, conn, job, req) -> str | None:
    request_id = req.request_id
    attempt = req.attempts
    log_path = cfg.logs_dir / f"{request_id}-attempt{attempt}.log"

    deadline = time.monotonic() + cfg.job_timeout

    def report(task: str, fraction: float) -> None:
        if time.monotonic() > deadline:  # RQ's alarm can be swallowed by library code catching Exception
            from rq.timeouts import JobTimeoutException

            raise JobTimeoutException(timeout_message(cfg))
        store.update(request_id, progress=round(fraction, 4), progress_task=task)
        if job is not None:
            job.meta.update({"task": task, "percent": round(100 * fraction, 1)})
            job.save_meta()

    from evaluator.runner import SubmissionProblem, run_request

    try:
        with captured_log(log_path) as fh, watchdog(cfg, request_id, log_path):
            print(f"llmboard: evaluating {req.model} at {req.sha} in {req.precision} (attempt {attempt})", file=fh)
            try:
                bundle = run_request(req, cfg, log_path, report)
            except BaseException:
                traceback.print_exc(file=fh)
                raise
    except (SubmissionProblem, SubmissionError) as exc:  # a SourceError is a SubmissionError
        store.transition(request_id, RequestStatus.FAILED, str(exc), failure_kind="submission",
                         failure_reason=str(exc), log_tail=log_tail(log_path))
        notify_ingest(conn, "request", request_id=request_id)
        return None
    except Exception as exc:
        fail_infrastructure(cfg, request_id, f"{type(exc).__name__}: {exc}", log_path)
        raise
    store.transition(request_id, RequestStatus.FINISHED, "results written", progress=1.0,
                     progress_task="done", log_tail=log_tail(log_path))
    notify_ingest(conn, "bundle", path=str(bundle), request_id=request_id)
    notify_ingest(conn, "request", request_id=request_id)
    return str(bundle)


def timeout_message(cfg: Config) -> str:
    """RQ's own words for a job past its timeout."""
    return f"Task exceeded maximum timeout value ({cfg.job_timeout} seconds)"


@contextlib.contextmanager
def watchdog(cfg: Config, request_id: str, log_path: Path):
    """End the work-horse if the run outlives its timeout by TIMEOUT_GRACE_S (stuck where neither RQ's
    alarm nor the progress check reaches it), recording the timeout as the failure first."""
    def expire() -> None:
        with contextlib.suppress(Exception):
            with log_path.open("a") as fh:
                print(f"llmboard: still running {TIMEOUT_GRACE_S} s past the job timeout: stopped", file=fh)
            fail_infrastructure(cfg, request_id, f"JobTimeoutException: {timeout_message(cfg)}", log_path)
        os._exit(1)

    timer = threading.Timer(cfg.job_timeout + TIMEOUT_GRACE_S, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def fail_infrastructure(cfg: Config, request_id: str, reason: str, log_path: Path | None = None) -> str:
    """An infrastructure failure: back to PENDING and re-queued while retries remain, else FAILED."""
    from evaluator.submit import enqueue

    store = RequestStore(cfg.requests_dir)
    conn = connect(cfg.redis_url)
    req = store.load(request_id)
    if req.status != RequestStatus.RUNNING:
        return req.status
    tail = log_tail(log_path) if log_path else None
    if req.attempts <= cfg.max_retries:
        store.transition(request_id, RequestStatus.PENDING, f"retry after: {reason}", log_tail=tail)
        enqueue(request_id, cfg)
        return RequestStatus.PENDING
    store.transition(request_id, RequestStatus.FAILED, reason, failure_kind="infrastructure",
                     failure_reason=reason, log_tail=tail)
    notify_ingest(conn, "request", request_id=request_id)
    return RequestStatus.FAILED
