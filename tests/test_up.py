"""`llmboard up` runs every part, and Ctrl-C stops every process it started, work-horses included."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import IO

import pytest

from llmboard.processes import alive, descendants
from tests.conftest import REPO, wait_for

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ProcessOutput:
    """The lines a child process prints, read by a thread so that no read can block the test."""

    def __init__(self, stream: IO[str]):
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._reader.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put(None)  # the output ended

    def until(self, marker: str, timeout_s: float, max_lines: int) -> list[str]:
        """The lines up to and including the first that holds `marker`; fails past the deadline or limit."""
        deadline = time.monotonic() + timeout_s
        seen: list[str] = []
        while len(seen) < max_lines:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                so_far = "".join(seen)
                message = f"no {marker!r} within {timeout_s} s; output so far:\n{so_far}"
                raise AssertionError(message) from None
            if line is None:
                raise AssertionError(f"the output ended before {marker!r}; output:\n{''.join(seen)}")
            seen.append(line)
            if marker in line:
                return seen
        raise AssertionError(f"no {marker!r} in the first {max_lines} lines:\n{''.join(seen)}")

    def rest(self, timeout_s: float) -> str:
        """What is left once the output ends (or, where something still holds it open, after `timeout_s`)."""
        self._reader.join(timeout_s)
        lines = []
        while not self._lines.empty():
            line = self._lines.get_nowait()
            if line is not None:
                lines.append(line)
        return "".join(lines)


def test_up_runs_everything_and_ctrl_c_leaves_nothing_behind(tmp_path, tiny_repo):
    repo, shas = tiny_repo
    home = tmp_path / "home"
    env = {**os.environ, "LLMBOARD_HOME": str(home), "LLMBOARD_PORT": str(free_port()), "REDIS_URL": "",
           "LLMBOARD_WORKERS": "1", "LLMBOARD_LIMIT": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "llmboard.cli", "up"], env=env, cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    printed = ProcessOutput(proc.stdout)
    try:
        lines = printed.until("running; press Ctrl-C", timeout_s=300, max_lines=2000)
        output = "".join(lines)
        assert "dashboard: http://127.0.0.1:" in output, output
        redis_url = next(ln.split()[-1] for ln in lines if ln.startswith("embedded Valkey on"))
        port = int(redis_url.rsplit(":", 1)[1])

        # A second terminal: the same LLMBOARD_HOME and nothing else; `up` recorded its queue there.
        second = {k: v for k, v in env.items() if k != "REDIS_URL"}
        assert (home / "queue.url").read_text().strip() == redis_url
        out = subprocess.run([sys.executable, "-m", "llmboard.cli", "submit", str(repo), "--model-id", "demo/up-test",
                              "--json"], env=second, cwd=REPO, capture_output=True, text=True, check=True)
        request_id = json.loads(out.stdout)["request_id"]
        record = home / "requests" / f"{request_id}.json"
        wait_for(lambda: json.loads(record.read_text())["status"] == "RUNNING", 120, "the worker to take the job")
        started = descendants(proc.pid)
        assert len(started) >= 5  # valkey is in-process; writer, worker, its work-horse, streamlit

        def ranked() -> bool:
            board = subprocess.run([sys.executable, "-m", "llmboard.cli", "rankings", "--json"], env=second,
                                   cwd=REPO, capture_output=True, text=True, check=True)
            return any(row["model_id"] == "demo/up-test" for row in json.loads(board.stdout))

        wait_for(ranked, 240, "the second terminal's submission to be evaluated and ranked")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError("`llmboard up` did not stop within 60 s of Ctrl-C") from None
        rest = printed.rest(timeout_s=60)
    assert proc.returncode == 0, rest
    assert "stopped" in rest
    assert not (home / "queue.url").exists(), "the queue's address is gone with the queue"
    leftover = [p for p in started if alive(p)]
    assert not leftover, f"processes left behind: {leftover}"
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the embedded Valkey is still listening"
