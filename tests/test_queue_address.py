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
