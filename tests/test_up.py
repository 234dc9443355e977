"""`llmboard up` runs every part, and Ctrl-C stops every process it started, work-horses included."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import pytest

from llmboard.processes import alive, descendants
from tests.conftest import REPO, wait_for

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]




def test_up_runs_everything_and_ctrl_c_leaves_nothing_behind(tmp_path, tiny_repo):
    repo, shas = tiny_repo
    home = tmp_path / "home"
    env = {**os.environ, "LLMBOARD_HOME": str(home), "LLMBOARD_PORT": str(free_port()), "REDIS_URL": "",
           "LLMBOARD_WORKERS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "llmboard.cli", "up"], env=env, cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "running; press Ctrl-C" in line:
                break
        output = "".join(lines)
        assert "dashboard: http://127.0.0.1:" in output, output
        redis_url = next(ln.split()[-1] for ln in lines if ln.startswith("embedded Valkey on"))
        port = int(redis_url.rsplit(":", 1)[1])

        sub_env = {**env, "REDIS_URL": redis_url}
        out = subprocess.run([sys.executable, "-m", "llmboard.cli", "submit", str(repo), "--model-id", "demo/up-test",
                              "--json"], env=sub_env, cwd=REPO, capture_output=True, text=True, check=True)
        request_id = json.loads(out.stdout)["request_id"]
        record = home / "requests" / f"{request_id}.json"
        wait_for(lambda: json.loads(record.read_text())["status"] == "RUNNING", 120, "the worker to take the job")

        started = descendants(proc.pid)
        assert len(started) >= 5  # valkey is in-process; writer, worker, its work-horse, streamlit
    finally:
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=60)[0]
    assert proc.returncode == 0, rest
    assert "stopped" in rest
    leftover = [p for p in started if alive(p)]
    assert not leftover, f"processes left behind: {leftover}"
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the embedded Valkey is still listening"
