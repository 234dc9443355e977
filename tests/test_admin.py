"""Maintainer actions: reconcile after Redis loses its data, relaunch a failed request."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from evaluator.admin import NotAllowed, reconcile, relaunch
from evaluator.queue import connect, evaluation_queue
from evaluator.requests import RequestStatus, RequestStore
from evaluator.submit import Submission, submit
from llmboard.cli import main


def queued_ids(cfg):
    return set(evaluation_queue(connect(cfg.redis_url)).get_job_ids())


def test_reconcile_rebuilds_the_queue_after_redis_lost_its_data(cfg, redis_conn, tiny_repo):
    repo, shas = tiny_repo
    req = submit(Submission(str(repo), revision=shas[0], model_id="demo/tiny-base"), cfg)
    assert queued_ids(cfg) == {req.job_id}
    redis_conn.flushall()  # the queue is gone; the request record on disk is not
    assert queued_ids(cfg) == set()
    assert reconcile(cfg) == [req.request_id]
    assert len(queued_ids(cfg)) == 1
    assert reconcile(cfg) == []  # already queued: nothing twice


def test_relaunch_needs_the_admin_token_and_requeues(cfg, redis_conn, tiny_repo):
    repo, shas = tiny_repo
    req = submit(Submission(str(repo), revision=shas[1], model_id="demo/tiny-base"), cfg)
    store = RequestStore(cfg.requests_dir)
    store.transition(req.request_id, RequestStatus.RUNNING, "worker")
    store.transition(req.request_id, RequestStatus.FAILED, "out of memory", failure_kind="infrastructure")
    redis_conn.flushall()

    with pytest.raises(NotAllowed, match="admin_token"):
        relaunch(cfg, req.request_id, "wrong")
    out = CliRunner().invoke(main, ["relaunch", req.request_id, "--admin-token", "nope"])
    assert out.exit_code != 0 and "admin_token" in out.output
    assert store.load(req.request_id).status == RequestStatus.FAILED

    out = CliRunner().invoke(main, ["relaunch", req.request_id, "--admin-token", cfg.admin_token])
    assert out.exit_code == 0, out.output
    again = store.load(req.request_id)
    assert again.status == RequestStatus.PENDING and again.job_id in queued_ids(cfg)
    assert [h["status"] for h in again.history] == ["PENDING", "RUNNING", "FAILED", "PENDING"]
    with pytest.raises(ValueError, match="only FAILED"):
        relaunch(cfg, req.request_id, cfg.admin_token)
