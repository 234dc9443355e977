"""RQ jobs: plain functions with primitive arguments, so a worker anywhere needs only the request id.

``enqueue`` puts ``evaluate`` on the queue; ``fail_infrastructure`` retries or fails a run that broke
for a reason that is not the submission's fault. Every status change goes through the Lifecycle.
"""

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
from evaluator.checks import SubmissionError, SubmissionProblem
from evaluator.heartbeat import heartbeat
from evaluator.lifecycle import Lifecycle
from evaluator.queue import evaluation_queue
from evaluator.requests import InvalidTransition, RequestStatus

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
    life = Lifecycle(cfg)
    job = get_current_job()
    req = life.store.load(request_id)
    if req.status != RequestStatus.PENDING:
        return None  # already taken, finished or failed: one request is never evaluated twice at once
    worker = job.worker_name if job else "?"
    with heartbeat(life.conn, request_id, worker):
        try:
            req = life.transition(request_id, RequestStatus.RUNNING, f"worker {worker}",
                                  attempts=req.attempts + 1, job_start_time=datetime.now(UTC).isoformat(),
                                  job_id=job.id if job else "", progress=0.0, progress_task="starting")
        except InvalidTransition:
            return None  # another worker took it first
        return _run(cfg, life, job, req)


def _run(cfg: Config, life: Lifecycle, job, req) -> str | None:
    request_id = req.request_id
    attempt = req.attempts
    log_path = cfg.logs_dir / f"{request_id}-attempt{attempt}.log"

    deadline = time.monotonic() + cfg.job_timeout

    def report(task: str, fraction: float) -> None:
        if time.monotonic() > deadline:  # RQ's alarm can be swallowed by library code catching Exception
            from rq.timeouts import JobTimeoutException

            raise JobTimeoutException(timeout_message(cfg))
        life.update(request_id, tell_writer=False, progress=round(fraction, 4), progress_task=task)
        if job is not None:
            job.meta.update({"task": task, "percent": round(100 * fraction, 1)})
            job.save_meta()

    try:
        with captured_log(log_path) as fh, watchdog(cfg, request_id, log_path):
            print(f"llmboard: evaluating {req.model} at {req.sha} in {req.precision} (attempt {attempt})", file=fh)
            try:  # the heavy imports come after the log's first line: a timeout may land in them
                from evaluator.runner import run_request

                bundle = run_request(req, cfg, log_path, report)
            except BaseException:
                traceback.print_exc(file=fh)
                raise
    except (SubmissionProblem, SubmissionError) as exc:  # a SourceError is a SubmissionError
        life.transition(request_id, RequestStatus.FAILED, str(exc), failure_kind="submission",
                        failure_reason=str(exc), log_tail=log_tail(log_path))
        return None
    except Exception as exc:
        fail_infrastructure(cfg, request_id, failure_reason(exc), log_path)
        raise
    life.transition(request_id, RequestStatus.FINISHED, "results written", bundle=bundle, progress=1.0,
                    progress_task="done", log_tail=log_tail(log_path))
    return str(bundle)


def failure_reason(exc: BaseException) -> str:
    """What broke, in one line: a job timeout wherever it fired, even where a library wrapped it in an
    error of its own (``datasets`` raises DatasetGenerationError from it); otherwise the exception."""
    from rq.timeouts import JobTimeoutException

    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:  # every exception in the chain, explicit causes and implicit contexts alike
        cause = todo.pop()
        if cause is None or id(cause) in seen:
            continue
        if isinstance(cause, JobTimeoutException):
            return f"{type(cause).__name__}: {cause}"
        seen.add(id(cause))
        todo += [cause.__context__, cause.__cause__]
    return f"{type(exc).__name__}: {exc}"


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
    life = Lifecycle(cfg)
    req = life.store.load(request_id)
    if req.status != RequestStatus.RUNNING:
        return req.status
    if log_path is not None:  # the log ends with what broke, whatever the library's traceback says
        with contextlib.suppress(OSError), log_path.open("a") as fh:
            print(f"llmboard: failed: {reason}", file=fh)
    tail = log_tail(log_path) if log_path else None
    if req.attempts <= cfg.max_retries:
        life.transition(request_id, RequestStatus.PENDING, f"retry after: {reason}", log_tail=tail)
        enqueue(request_id, cfg)
        return RequestStatus.PENDING
    life.transition(request_id, RequestStatus.FAILED, reason, failure_kind="infrastructure",
                    failure_reason=reason, log_tail=tail)
    return RequestStatus.FAILED


def enqueue(request_id: str, cfg: Config) -> str:
    """Put ``evaluate`` for this request on the queue; the job id names the attempt."""
    life = Lifecycle(cfg)
    req = life.store.load(request_id)
    job_id = f"{request_id}-{req.attempts + 1}"
    evaluation_queue(life.conn, cfg.job_timeout).enqueue(
        evaluate, request_id, job_id=job_id, job_timeout=cfg.job_timeout, result_ttl=86400,
        failure_ttl=7 * 86400,
    )
    life.update(request_id, job_id=job_id)
    return job_id
