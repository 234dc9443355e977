"""Starting and stopping child processes so that none is left behind.

RQ runs each job in a work-horse in its own process group, so stopping a worker's group does not
stop its work-horse: we stop every descendant, found through /proc, and every group they lead.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def descendants(pid: int) -> list[int]:
    """All processes below pid (children first found through /proc/<pid>/task/*/children)."""
    out: list[int] = []
    stack = [pid]
    while stack:
        current = stack.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except (FileNotFoundError, ProcessLookupError, ValueError):
                continue
            for c in children:
                if c not in out:
                    out.append(c)
                    stack.append(c)
    return out


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (FileNotFoundError, IndexError):
        return False


def stop_tree(proc: subprocess.Popen, grace_s: float = 5.0) -> None:
    """SIGTERM the process and everything below it, then SIGKILL what is still there after grace_s."""
    pids = [proc.pid, *descendants(proc.pid)]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = [p for p in dict.fromkeys(pids + descendants(proc.pid)) if alive(p)]
        own_group = os.getpgid(0)
        for p in pids:
            try:
                group = os.getpgid(p)
                if group != own_group:
                    os.killpg(group, sig)
                os.kill(p, sig)
            except (ProcessLookupError, PermissionError, OSError):
                pass
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and any(alive(p) for p in pids):
            try:
                proc.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                pass
        if not any(alive(p) for p in pids):
            break
    try:
        proc.wait(timeout=1)
    except subprocess.TimeoutExpired:
        pass
