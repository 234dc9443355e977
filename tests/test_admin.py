"""Maintainer actions on requests: reconcile after Redis loses its data, relaunch a failed request or every
infrastructure failure (their past kept), and what removals and renames mean for a later submission."""

from __future__ import annotations

import json

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


def failed_request(cfg, repo, sha, kind: str, model_id: str = "demo/tiny-base"):
    """A submitted request that ran once and FAILED (``kind``: infrastructure or submission), with its log."""
    req = submit(Submission(str(repo), revision=sha, model_id=model_id), cfg)
    store = RequestStore(cfg.requests_dir)
    store.transition(req.request_id, RequestStatus.RUNNING, "worker", attempts=1)
    (cfg.logs_dir / f"{req.request_id}-attempt1.log").write_text(f"attempt 1 of {req.request_id}: {kind}\n")
    store.transition(req.request_id, RequestStatus.FAILED, f"{kind} trouble", failure_kind=kind,
                     failure_reason=f"{kind} trouble")
    return req.request_id


def test_relaunch_every_infrastructure_failure_keeps_the_old_attempts_and_their_logs(cfg, redis_conn, tiny_repo):
    from warehouse import queries

    repo, shas = tiny_repo
    infra = failed_request(cfg, repo, shas[0], "infrastructure")
    bad = failed_request(cfg, repo, shas[1], "submission")
    redis_conn.flushall()
    out = CliRunner().invoke(main, ["relaunch", "--failed-infrastructure"], env={"LLMBOARD_ADMIN_TOKEN": ""})
    assert out.exit_code != 0 and "disabled" in out.output
    out = CliRunner().invoke(main, ["relaunch", "--failed-infrastructure", "--token", "nope"])
    assert out.exit_code != 0 and "admin_token" in out.output and out.output.strip().count("\n") == 0
    out = CliRunner().invoke(main, ["relaunch", "--failed-infrastructure", "--token", cfg.admin_token,
                                    "--by", "alice", "--reason", "the GPU node is back"])
    assert out.exit_code == 0, out.output
    store = RequestStore(cfg.requests_dir)
    again = store.load(infra)
    assert again.status == RequestStatus.PENDING and store.load(bad).status == RequestStatus.FAILED
    assert [h["status"] for h in again.history] == ["PENDING", "RUNNING", "FAILED", "PENDING"]
    assert again.history[2]["reason"] == "infrastructure trouble"  # the failed attempt stays in the history
    assert queued_ids(cfg) == {again.job_id}
    kept = cfg.logs_dir / f"{infra}-round1-attempt1.log"
    assert kept.read_text() == f"attempt 1 of {infra}: infrastructure\n" and kept.name in again.history[3]["reason"]
    assert not (cfg.logs_dir / f"{infra}-attempt1.log").exists()  # the next attempt's log starts afresh
    log = queries.audit_log(cfg.home).row(0, named=True)
    assert (log["actor"], log["action"], log["reason"]) == ("alice", "relaunch", "the GPU node is back")
    assert json.loads(log["details"])["request_ids"] == [infra]
    out = CliRunner().invoke(main, ["relaunch", "--token", cfg.admin_token])
    assert out.exit_code != 0 and "REQUEST_ID or --failed-infrastructure" in out.output


def finish_with_a_run(cfg, request_id: str, day: int) -> None:
    """Let a request finish with a stored run (evaluated on that day of March), as a worker's bundle and record
    would."""
    from datetime import UTC, datetime

    from tests.fixture_warehouse import results_json, sha_of
    from warehouse.ingest import Writer

    store = RequestStore(cfg.requests_dir)
    store.transition(request_id, RequestStatus.RUNNING, "worker")
    req = store.transition(request_id, RequestStatus.FINISHED, "results written")
    bundle = cfg.results_dir / request_id
    bundle.mkdir(parents=True)
    when = datetime(2025, 3, day, tzinfo=UTC)
    (bundle / "results.json").write_text(json.dumps(results_json("demo/ft-qwen", sha_of("demo/ft-qwen", 0),
                                                                 "bfloat16", 0, when)))
    (bundle / "request.json").write_text(json.dumps(req.to_json()))
    (bundle / "run.json").write_text(json.dumps({"finished_at": when.isoformat()}))
    with Writer(cfg.home, wait_message=None) as w:
        w.ingest_bundle(bundle)
        w.upsert_request(req.to_json())


def test_a_removed_entry_may_be_submitted_again_and_a_renamed_model_is_pointed_to_its_new_name(
        cfg, redis_conn, tiny_repo):
    from evaluator.checks import SubmissionError
    from warehouse import queries

    repo, shas = tiny_repo
    first = submit(Submission(str(repo), revision=shas[2], model_id="demo/tiny-base"), cfg)
    finish_with_a_run(cfg, first.request_id, 1)
    assert set(queries.rankings(cfg.home, suite="offline")["model_id"]) == {"demo/tiny-base"}
    with pytest.raises(SubmissionError, match="already submitted"):
        submit(Submission(str(repo), revision=shas[2], model_id="demo/tiny-base"), cfg)

    out = CliRunner().invoke(main, ["remove", "demo/tiny-base", "--revision", shas[2][:10], "--precision", "float32",
                                    "--reason", "evaluated with a broken config"])
    assert out.exit_code == 0, out.output
    assert queries.rankings(cfg.home, suite="offline").height == 0
    again = submit(Submission(str(repo), revision=shas[2], model_id="demo/tiny-base"), cfg)  # welcome again
    assert again.request_id != first.request_id and again.status == RequestStatus.PENDING
    finish_with_a_run(cfg, again.request_id, 2)
    board = queries.rankings(cfg.home, suite="offline", columns=["model_id", "request_id"])
    assert board.select("model_id", "request_id").rows() == [("demo/tiny-base", again.request_id)]

    out = CliRunner().invoke(main, ["rename", "demo/tiny-base", "demo/tiny-renamed", "--reason", "moved"])
    assert out.exit_code == 0, out.output
    with pytest.raises(SubmissionError, match="renamed to demo/tiny-renamed"):
        submit(Submission(str(repo), revision=shas[0], model_id="demo/tiny-base"), cfg)
    assert {r.model for r in RequestStore(cfg.requests_dir).all()} == {"demo/tiny-renamed"}
    assert len(queries.model_runs(cfg.home, "demo/tiny-renamed")) == 2  # the removed run too: never lost
