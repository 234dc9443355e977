"""Limits that must hold when many arrive at once: the per-sender submission limit under a burst of
concurrent `llmboard submit` processes, a wrong token lifting no limit, and relaunch refused without
the admin token."""

from __future__ import annotations

import dataclasses
import subprocess

import pytest
from click.testing import CliRunner

from evaluator.admin import NotAllowed, relaunch
from evaluator.checks import SubmissionError
from evaluator.queue import evaluation_queue
from evaluator.requests import RequestStatus, RequestStore
from evaluator.submit import Submission, submit
from llmboard.cli import main
from tests.reliability import cli_env, size, spawn


def test_the_submission_rate_limit_holds_under_a_burst_of_processes(cfg, redis_conn, tiny_repo):
    repo, shas = tiny_repo
    burst, limit = size(6, 30), 2
    env = {**cli_env(cfg, rate_limit=str(limit)), "LLMBOARD_ADMIN_TOKEN": ""}  # no maintainer among them
    procs = [spawn(["submit", str(repo), "--revision", shas[0], "--model-id", f"burst/m{i}", "--sender", "eve"], env,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(burst)]
    outputs = [(p.wait(300), *p.communicate()) for p in procs]
    accepted = [out for code, out, _ in outputs if code == 0]
    refused = [err for code, _, err in outputs if code != 0]
    assert len(accepted) == limit, outputs
    assert len(refused) == burst - limit
    assert all("sender: eve submitted 2 models in the last 7 days; the limit is 2 per 7 days" in err
               for err in refused), refused
    recorded = RequestStore(cfg.requests_dir).all()
    assert len(recorded) == limit and {r.sender for r in recorded} == {"eve"}
    assert sorted(evaluation_queue(redis_conn).get_job_ids()) == sorted(r.job_id for r in recorded)


def test_a_wrong_token_does_not_lift_the_rate_limit(cfg, redis_conn, tiny_repo):
    repo, shas = tiny_repo
    limited = dataclasses.replace(cfg, rate_limit=1)
    submit(Submission(str(repo), revision=shas[0], model_id="limit/a", sender="mallory"), limited)
    for token in (None, "", "wrong", cfg.admin_token + " "):
        with pytest.raises(SubmissionError, match="the limit is 1 per 7 days"):
            submit(Submission(str(repo), revision=shas[1], model_id="limit/a", sender="mallory", admin_token=token),
                   limited)
    submit(Submission(str(repo), revision=shas[1], model_id="limit/a", sender="mallory",
                      admin_token=cfg.admin_token), limited)  # the maintainers' token does
    assert len(RequestStore(cfg.requests_dir).all()) == 2


def failed_request(cfg, redis_conn, tiny_repo) -> str:
    repo, shas = tiny_repo
    req = submit(Submission(str(repo), revision=shas[2], model_id="admin/failed"), cfg)
    store = RequestStore(cfg.requests_dir)
    store.transition(req.request_id, RequestStatus.RUNNING, "worker")
    store.transition(req.request_id, RequestStatus.FAILED, "out of memory", failure_kind="infrastructure")
    evaluation_queue(redis_conn).empty()  # its first job is gone with it
    return req.request_id


def test_relaunch_is_refused_without_the_admin_token_and_changes_nothing(cfg, redis_conn, tiny_repo):
    """The queue's maintainer action (flag decisions are checked with their own module's tests)."""
    rid = failed_request(cfg, redis_conn, tiny_repo)
    no_token = dataclasses.replace(cfg, admin_token="")
    store = RequestStore(cfg.requests_dir)
    for config, token in [(cfg, None), (cfg, ""), (cfg, "wrong"), (cfg, cfg.admin_token.upper()), (no_token, ""),
                          (no_token, None)]:
        with pytest.raises(NotAllowed, match="admin_token"):
            relaunch(config, rid, token)
    for args, env in ((["relaunch", rid], {"LLMBOARD_ADMIN_TOKEN": ""}),
                      (["relaunch", rid, "--admin-token", "wrong"], None)):
        out = CliRunner().invoke(main, args, env=env)
        assert out.exit_code != 0 and "admin_token" in out.output, out.output
    assert store.load(rid).status == RequestStatus.FAILED  # nothing changed
    assert evaluation_queue(redis_conn).get_job_ids() == []

    relaunch(cfg, rid, cfg.admin_token)  # the token opens it
    assert store.load(rid).status == RequestStatus.PENDING
    assert len(evaluation_queue(redis_conn).get_job_ids()) == 1
