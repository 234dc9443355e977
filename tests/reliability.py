"""What the fault, load and rate-limit tests share: their size, the CLI as a child process, readers that
query throughout, and the open files of a process.

The default sizes keep `make test` quick; LLMBOARD_RELIABILITY_FULL=1 runs the sizes RELIABILITY.md reports.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

from tests.conftest import REPO

FULL = os.environ.get("LLMBOARD_RELIABILITY_FULL") == "1"


def size(default: int, full: int) -> int:
    """The default size, or the full one under LLMBOARD_RELIABILITY_FULL=1."""
    return full if FULL else default


def cli_env(cfg, **settings: str) -> dict[str, str]:
    """The environment of a child `llmboard` process on cfg's home and queue (plus LLMBOARD_<NAME> settings)."""
    env = {**os.environ, "LLMBOARD_HOME": str(cfg.home), "REDIS_URL": cfg.redis_url, "OMP_NUM_THREADS": "1",
           "LLMBOARD_ADMIN_TOKEN": cfg.admin_token}
    env.update({f"LLMBOARD_{k.upper()}": v for k, v in settings.items()})
    return env


def spawn(args: list[str], env: dict[str, str], **popen) -> subprocess.Popen:
    """`python -m llmboard.cli ARGS` in its own session (so stop_tree reaches everything below it)."""
    popen.setdefault("stdout", subprocess.DEVNULL)
    popen.setdefault("stderr", subprocess.DEVNULL)
    return subprocess.Popen([sys.executable, "-m", "llmboard.cli", *args], env=env, cwd=REPO,
                            start_new_session=True, **popen)


def run_cli(args: list[str], env: dict[str, str], timeout_s: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "llmboard.cli", *args], env=env, cwd=REPO, text=True,
                          capture_output=True, timeout=timeout_s)


def open_files(pid: int | str = "self") -> list[str]:
    """What each open file descriptor of a process points at (/proc/<pid>/fd)."""
    out = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            out.append(os.readlink(fd))
        except FileNotFoundError:  # closed meanwhile (the listing's own descriptor)
            continue
    return out


def snapshot_files(files: list[str]) -> list[str]:
    """The open files that are read snapshots, a deleted one marked so by the kernel."""
    return [f for f in files if "/snapshots/" in f]


class Readers:
    """`count` threads calling `read()` in a loop until stopped; every exception is kept with its traceback."""

    def __init__(self, read: Callable[[], object], count: int):
        self._read = read
        self._stop = threading.Event()
        self.errors: list[str] = []
        self.reads = 0
        self.results: list[object] = []  # the last result of each read, in order (small ones only)
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._loop, daemon=True, name=f"reader-{i}") for i in range(count)]

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                result = self._read()
            except Exception:  # any error reaching a reader is a failure of the test
                with self._lock:
                    self.errors.append(traceback.format_exc(limit=4))
                continue
            with self._lock:
                self.reads += 1
                self.results.append(result)

    def __enter__(self) -> Readers:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(120)
        assert not any(t.is_alive() for t in self._threads), "a reader is stuck"


def request_record(cfg, model: str = "publish/loop") -> str:
    """A request record on disk (never queued) for the writer to store again and again: each store is a
    writer session, and each session publishes a snapshot."""
    from evaluator.requests import Request, RequestStore

    req = Request(request_id=Request.make_id(model, "a" * 40, "float32", "Original", "t"), model=model,
                  revision="main", sha="a" * 40, precision="float32", sender="test")
    RequestStore(cfg.requests_dir).create(req)
    return req.request_id
