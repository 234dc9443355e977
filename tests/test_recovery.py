"""A worker killed mid-run (worker and work-horse, SIGKILL): its request is retried, then finishes, and
exactly one run is stored."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from evaluator.recovery import LOST_REASON, sweep_lost
from evaluator.requests import RequestStatus, RequestStore
from evaluator.submit import Submission, submit
from llmboard.ingestd import serve
from llmboard.processes import alive, descendants, stop_tree
from tests.conftest import REPO, wait_for
from warehouse import queries

pytestmark = pytest.mark.slow


def start_worker(cfg, name: str) -> subprocess.Popen:
    env = {**os.environ, "LLMBOARD_HOME": str(cfg.home), "REDIS_URL": cfg.redis_url, "LLMBOARD_LIMIT": "6",
           "LLMBOARD_MAX_RETRIES": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "llmboard.cli", "worker", "--name", name], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def submitted(monkeypatch, tiny_repo, commit: int, model_id: str, **env: str):
    """Set the LLMBOARD_* settings in env, then submit the tiny model's commit: (config, request, store)."""
    from core.settings import Config

    for key, value in env.items():
        monkeypatch.setenv(f"LLMBOARD_{key.upper()}", value)
    cfg = Config.from_env()
    repo, shas = tiny_repo
    req = submit(Submission(str(repo), revision=shas[commit], model_id=model_id), cfg)
    return cfg, req, RequestStore(cfg.requests_dir)


def test_killed_worker_is_retried_within_two_minutes_and_finishes(cfg, redis_conn, tiny_repo, monkeypatch):
    cfg, req, store = submitted(monkeypatch, tiny_repo, 0, "demo/killed", max_retries="1")
    first = start_worker(cfg, "doomed")
    second = None
    try:
        wait_for(lambda: store.load(req.request_id).status == RequestStatus.RUNNING, 120, "the first worker")
        horse = descendants(first.pid)
        assert horse, "the job runs in a work-horse below the worker"
        for pid in [first.pid, *horse]:  # kill -9 the worker and its work-horse
            with contextlib.suppress(ProcessLookupError):  # a short-lived child (git) may already be gone
                os.kill(pid, signal.SIGKILL)
        first.wait()
        wait_for(lambda: not any(alive(p) for p in horse), 10, "the killed work-horse to be gone")
        killed_at = time.monotonic()
        second = start_worker(cfg, "survivor")

        wait_for(lambda: sweep_lost(cfg, redis_conn), 120, "the sweep to notice the lost worker")
        assert time.monotonic() - killed_at < 120
        done = wait_for(lambda: (r := store.load(req.request_id)).status in ("FINISHED", "FAILED") and r, 180,
                        "the retried evaluation")
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                stop_tree(proc)
    assert done.status == RequestStatus.FINISHED, done.failure_reason
    assert done.attempts == 2
    assert [h["status"] for h in done.history] == ["PENDING", "RUNNING", "PENDING", "RUNNING", "FINISHED"]
    assert LOST_REASON in done.history[2]["reason"]
    assert "survivor" in done.history[3]["reason"]
    assert json.loads((cfg.requests_dir / f"{req.request_id}.json").read_text())["status"] == "FINISHED"
    # Exactly one run is stored: the killed attempt left no bundle, the ingest writer loaded the retry's once.
    bundles = [p.parent for p in cfg.results_dir.glob(f"{req.request_id}/*/results.json")]
    assert [b.name.endswith("-attempt2") for b in bundles] == [True]
    serve(cfg, redis_conn, burst=True)
    serve(cfg, redis_conn, burst=True)  # a second start of the writer (it loads what it has not seen) adds nothing
    runs = queries.model_runs(cfg.home, "demo/killed")
    assert list(runs["request_id"]) == [req.request_id]
    assert list(queries.request_history(cfg.home, req.request_id)["status"]) == [h["status"] for h in done.history]


def test_lost_worker_after_the_last_retry_fails_with_the_reason(cfg, redis_conn, tiny_repo, monkeypatch):
    cfg, req, store = submitted(monkeypatch, tiny_repo, 1, "demo/killed-twice", max_retries="0")
    store.transition(req.request_id, RequestStatus.RUNNING, "worker gone", attempts=1)  # no heartbeat: lost
    assert sweep_lost(cfg, redis_conn) == [req.request_id]
    failed = store.load(req.request_id)
    assert failed.status == RequestStatus.FAILED and failed.failure_kind == "infrastructure"
    assert failed.failure_reason == LOST_REASON
    assert sweep_lost(cfg, redis_conn) == []


def test_a_job_past_its_timeout_fails_with_the_reason_and_keeps_its_log(cfg, redis_conn, tiny_repo, monkeypatch):
    from llmboard.workers import run_worker

    cfg, req, store = submitted(monkeypatch, tiny_repo, 2, "demo/too-slow", job_timeout="2", max_retries="0",
                                limit="")
    run_worker(cfg, burst=True)
    failed = store.load(req.request_id)
    assert failed.status == RequestStatus.FAILED and failed.failure_kind == "infrastructure"
    assert "JobTimeoutException" in failed.failure_reason
    assert "JobTimeoutException" in failed.log_tail  # the submitter sees the log's tail
    log = (cfg.logs_dir / f"{req.request_id}-attempt1.log").read_text()
    assert log.startswith("llmboard: evaluating demo/too-slow") and failed.log_tail in log
