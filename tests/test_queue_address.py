"""One system, any terminal: the queue `llmboard up` started is found through LLMBOARD_HOME, and a
submission is recorded only if the queue took it."""

from __future__ import annotations

import socket

import pytest

from core.settings import Config
from evaluator.queue import EVALUATIONS, QueueUnavailable
from evaluator.requests import RequestStore
from evaluator.submit import Submission, submit


def _closed_port_url() -> str:
    with socket.socket() as s:  # a port nothing listens on once this socket is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def test_a_second_terminal_finds_the_queue_recorded_in_the_home(tmp_path, valkey_url, redis_conn, tiny_repo):
    home = tmp_path / "home"
    home.mkdir()
    (home / "queue.url").write_text(valkey_url + "\n")  # what `llmboard up` leaves for other terminals
    cfg = Config.from_env({"LLMBOARD_HOME": str(home)})
    assert (cfg.redis_url, cfg.redis_url_from) == (valkey_url, "LLMBOARD_HOME")
    cfg.ensure_dirs()
    repo, shas = tiny_repo
    req = submit(Submission(str(repo), revision=shas[0], model_id="demo/second-terminal"), cfg)
    assert redis_conn.lrange(f"rq:queue:{EVALUATIONS}", 0, -1) == [req.job_id.encode()]


def test_redis_url_wins_over_the_recorded_queue(tmp_path, valkey_url):
    home = tmp_path / "home"
    home.mkdir()
    (home / "queue.url").write_text("redis://127.0.0.1:1/0")
    cfg = Config.from_env({"LLMBOARD_HOME": str(home), "REDIS_URL": valkey_url})
    assert (cfg.redis_url, cfg.redis_url_from) == (valkey_url, "REDIS_URL")
    assert Config.from_env({"LLMBOARD_HOME": str(tmp_path / "empty")}).redis_url_from == ""


@pytest.mark.parametrize("url", ["", "closed"])
def test_a_submission_no_queue_takes_is_not_recorded(tmp_path, tiny_repo, url):
    url = _closed_port_url() if url == "closed" else url
    cfg = Config.from_env({"LLMBOARD_HOME": str(tmp_path / "home"), "REDIS_URL": url})
    cfg.ensure_dirs()
    repo, shas = tiny_repo
    for _ in range(2):  # the second try meets the same error, not "already submitted"
        with pytest.raises(QueueUnavailable) as err:
            submit(Submission(str(repo), revision=shas[1], model_id="demo/no-queue"), cfg)
        message = str(err.value)
        assert "\n" not in message and "llmboard up" in message and "REDIS_URL" in message
        assert RequestStore(cfg.requests_dir).all() == []


def _web_cfg(tmp_path, valkey_url, **env: str) -> Config:
    cfg = Config.from_env({"LLMBOARD_HOME": str(tmp_path / "home"), "REDIS_URL": valkey_url, **env})
    cfg.ensure_dirs()
    return cfg


def test_a_public_dashboard_refuses_local_paths_unless_a_folder_is_allowed(tmp_path, valkey_url, redis_conn,
                                                                            tiny_repo):
    from evaluator.checks import SubmissionError

    repo, shas = tiny_repo
    web = Submission(str(repo), revision=shas[0], model_id="demo/web", via_web=True)
    public = _web_cfg(tmp_path, valkey_url, LLMBOARD_ADDRESS="0.0.0.0")
    with pytest.raises(SubmissionError) as err:
        submit(web, public)
    assert err.value.field == "model" and "LLMBOARD_LOCAL_MODELS" in err.value.message
    assert RequestStore(public.requests_dir).all() == []
    assert submit(Submission(str(repo), revision=shas[0], model_id="demo/cli"), public).status == "PENDING", \
        "the command line (someone on the machine) is not limited"

    elsewhere = tmp_path / "allowed"
    elsewhere.mkdir()
    (elsewhere / "escape").symlink_to(repo)  # a link inside the folder that points outside it
    fenced = _web_cfg(tmp_path, valkey_url, LLMBOARD_ADDRESS="0.0.0.0", LLMBOARD_LOCAL_MODELS=str(elsewhere))
    for path in (repo, elsewhere / "escape"):
        with pytest.raises(SubmissionError, match="accepted only under"):
            submit(Submission(str(path), revision=shas[1], model_id="demo/web", via_web=True), fenced)
    allowed = _web_cfg(tmp_path, valkey_url, LLMBOARD_ADDRESS="0.0.0.0", LLMBOARD_LOCAL_MODELS=str(repo.parent))
    assert submit(Submission(str(repo), revision=shas[1], model_id="demo/web", via_web=True), allowed).status \
        == "PENDING"
    local_only = _web_cfg(tmp_path, valkey_url)  # 127.0.0.1, no folder set: any local path
    assert submit(Submission(str(repo), revision=shas[2], model_id="demo/web", via_web=True), local_only).status \
        == "PENDING"
