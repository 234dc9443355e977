"""Ingest A/B: two versions of the code import the same results files into copies of one large warehouse, in
turn, each against orjson reading and parsing the same files in the same process (the warehouse bench's
ingest ratio, ``bench/warehouse.py``), with the CPU each process used. The way to tell whether an ingest
change helped, on a machine whose speed drifts by ±20% within minutes: the two bench runs of two versions
are minutes apart, these pairs are seconds apart.

Each version runs from a git worktree of its revision, in its own processes. The warehouse and the files are
made by version A's code (a newer version migrates the copy when it opens it, before the clock starts).

    .venv/bin/python bench/ingest_ab.py --a 794a59a --b HEAD                          # ~6 min
    .venv/bin/python bench/ingest_ab.py --a HEAD~1 --b HEAD --runs 50000 --files 2000 --pairs 1   # quick
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.warehouse import TEMPLATE  # noqa: E402

# Run by each version's Python process, from its worktree: ``build`` makes the warehouse and the files with
# that version's bench/warehouse.py; ``run`` imports the files into a copy of the warehouse.
CHILD = r"""
import importlib.util, json, os, random, resource, shutil, sys, time
from pathlib import Path
import orjson
tree, mode, work, template = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
runs, models, files, step = map(int, sys.argv[5:9])
spec = importlib.util.spec_from_file_location("bench_warehouse", f"{tree}/bench/warehouse.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)  # puts the tree first on sys.path: its warehouse package is the one imported
from warehouse.ingest import Writer
assert Path(sys.modules["warehouse"].__file__).is_relative_to(tree)
names = bench.model_names(models)
bench.TEMPLATE = template  # the worktree has no ../shared beside it
if mode == "build":
    bench.write_files(work / "files", files, names, random.Random(7))
    with Writer(work / "base", wait_message=None) as w:
        bench.bulk_load(w, runs - files, models, names, seed=7)
    sys.exit()
home = work / f"home-{os.getpid()}"
shutil.copytree(work / "base", home)
paths = sorted((work / "files").rglob("*.json"))
for p in paths:
    p.read_bytes()  # in the page cache, as for the baseline
def cpu(pid=None):
    if pid is None:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
parse = imported = writer = workers = 0.0
with Writer(home, wait_message=None) as w:
    for start in range(0, len(paths), step):
        batch = paths[start:start + step]
        t = time.perf_counter()
        for p in batch:
            orjson.loads(p.read_bytes())
        parse += time.perf_counter() - t
        pids = list(w._executor._processes) if w._executor else []
        before, c = sum(map(cpu, pids)), cpu()
        t = time.perf_counter()
        report = w.import_results(batch)
        imported += time.perf_counter() - t
        writer += cpu() - c
        pids = pids or list(w._executor._processes if w._executor else [])
        workers += sum(map(cpu, pids)) - before
        assert len(report.loaded) == len(batch), report.summary()
    w.changed = False  # the session close is not timed: skip its publish
    w.con.writes = {}
shutil.rmtree(home)
n = len(paths)
print(json.dumps({"import_ms": imported * 1e3 / n, "orjson_ms": parse * 1e3 / n, "ratio": imported / parse,
                  "writer_cpu_ms": writer * 1e3 / n, "workers_cpu_ms": workers * 1e3 / n,
                  "cores_busy": (writer + workers) / imported}))
"""


def child(tree: Path, mode: str, work: Path, args: argparse.Namespace) -> dict | None:
    out = subprocess.run([sys.executable, "-c", CHILD, str(tree), mode, str(work), str(TEMPLATE), str(args.runs),
                          str(args.models), str(args.files), str(args.step)], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"version {tree.name}, {mode}: failed\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1]) if mode == "run" else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--a", required=True, help="git revision of version A (the reference)")
    ap.add_argument("--b", required=True, help="git revision of version B")
    ap.add_argument("--runs", type=int, default=1_000_000, help="runs in the warehouse after the import")
    ap.add_argument("--models", type=int, default=100_000)
    ap.add_argument("--files", type=int, default=4_000, help="results files each version imports")
    ap.add_argument("--step", type=int, default=1_000, help="files per import call (as the warehouse bench)")
    ap.add_argument("--pairs", type=int, default=2, help="A then B, this many times")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="llmboard-ingest-ab-"))
    trees = {name: work / name for name in ("A", "B")}
    try:
        for name, rev in (("A", args.a), ("B", args.b)):
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(trees[name]), rev],
                           check=True, capture_output=True)
        print(f"building {args.runs:,} runs and {args.files:,} files with A ({args.a})...", flush=True)
        child(trees["A"], "build", work, args)
        results: dict[str, list[dict]] = {"A": [], "B": []}
        for _ in range(args.pairs):
            for name in ("A", "B"):
                r = child(trees[name], "run", work, args)
                results[name].append(r)
                print(f"{name} ({getattr(args, name.lower())}): import {r['import_ms']:.3f} ms/file, orjson "
                      f"{r['orjson_ms']:.3f}, ratio {r['ratio']:.2f}; CPU writer {r['writer_cpu_ms']:.3f} + workers "
                      f"{r['workers_cpu_ms']:.3f} ms/file; cores busy {r['cores_busy']:.2f}", flush=True)
        a, b = (sum(r["import_ms"] for r in results[k]) for k in ("A", "B"))
        print(f"B's import time against A's, the pairs summed: {b / a:.2f}")
    finally:
        for tree in trees.values():
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
