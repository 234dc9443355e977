"""Every CLI error is one line saying what to do, never a traceback (`--debug` shows one)."""

from __future__ import annotations

import socket

import pytest
import redis
from click.testing import CliRunner

from llmboard.cli import main


def closed_port_url() -> str:
    with socket.socket() as s:  # a port nothing listens on once this socket is closed
        s.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{s.getsockname()[1]}/0"


@pytest.fixture
def no_queue(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMBOARD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REDIS_URL", closed_port_url())
    monkeypatch.setenv("LLMBOARD_ADMIN_TOKEN", "t")
    return tmp_path / "home"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def assert_one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def test_without_a_running_queue_each_command_says_to_start_one(no_queue, tiny_repo):
    repo, shas = tiny_repo
    for args in (("submit", str(repo), "--revision", shas[0]), ("reconcile",), ("worker", "--burst"),
                 ("ingest-writer", "--burst")):
        assert_one_line_error(run(*args), "llmboard up", "REDIS_URL")
    assert not any((no_queue / "requests").glob("*.json")), "a submission no queue took is not recorded"


def test_an_unknown_request_is_named(no_queue):
    line = assert_one_line_error(run("relaunch", "0123456789abcdef", "--admin-token", "t"))
    assert line == "Error: no request 0123456789abcdef"


def test_debug_shows_the_traceback_of_an_unexpected_error(no_queue):
    result = run("--debug", "reconcile")
    assert isinstance(result.exception, redis.ConnectionError)
