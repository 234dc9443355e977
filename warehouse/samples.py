"""Per-sample details: one Parquet file per run, so a hundred million rows stay queryable by scan."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl

SCHEMA = {
    "run_id": pl.String, "task": pl.String, "doc_id": pl.Int64, "doc_hash": pl.String, "filter": pl.String,
    "prompt": pl.String, "target": pl.String, "response": pl.String, "correct": pl.Boolean, "metrics": pl.String,
    # for statistics: each choice's log-likelihood (multiple choice), an IFEval prompt's instruction results
    "choice_loglik": pl.List(pl.Float64), "instructions": pl.List(pl.Boolean),
}
NON_METRIC_KEYS = {
    "doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter", "metrics", "doc_hash",
    "prompt_hash", "target_hash",
}
CORRECTNESS_METRICS = ("acc_norm", "acc", "exact_match", "prompt_level_strict_acc", "mc2")


def _prompt(arguments) -> str:
    if isinstance(arguments, dict):  # lm-eval >= 0.4.3: {"gen_args_0": {"arg_0": prompt, "arg_1": ...}}
        first = next(iter(arguments.values()), {})
        return str(first.get("arg_0", "")) if isinstance(first, dict) else str(first)
    if isinstance(arguments, list) and arguments:
        first = arguments[0]
        return str(first[0] if isinstance(first, list | tuple) else first)
    return ""


def _response(sample: dict) -> str:
    filtered = sample.get("filtered_resps")
    doc_choices = None
    args = sample.get("arguments")
    if isinstance(args, dict) and len(args) > 1:  # multiple choice: one argument pair per choice
        doc_choices = [str(v.get("arg_1", "")) if isinstance(v, dict) else "" for v in args.values()]
    if isinstance(filtered, list) and filtered and isinstance(filtered[0], list | tuple) and doc_choices:
        scores = [f[0] if isinstance(f, list | tuple) else f for f in filtered]
        try:
            best = max(range(len(scores)), key=lambda i: float(scores[i]))
            return doc_choices[best].strip()
        except (TypeError, ValueError):
            pass
    if isinstance(filtered, list):
        return str(filtered[0]) if len(filtered) == 1 else json.dumps(filtered, default=str)
    return "" if filtered is None else str(filtered)


def choice_loglik(sample: dict) -> list[float] | None:
    """A multiple-choice item's log-likelihood of each choice (lm-eval's filtered_resps: [loglik, greedy])."""
    filtered = sample.get("filtered_resps")
    if not isinstance(filtered, list) or len(filtered) < 2 or not all(isinstance(f, list | tuple) and f
                                                                       for f in filtered):
        return None
    try:
        return [float(f[0]) for f in filtered]
    except (TypeError, ValueError):
        return None


def instructions(sample: dict) -> list[bool] | None:
    """IFEval: whether each instruction of the prompt was followed (strict)."""
    found = sample.get("inst_level_strict_acc")
    return [bool(x) for x in found] if isinstance(found, list) else None


def sample_rows(run_id: str, task: str, lines) -> list[dict]:
    rows = []
    for line in lines:
        if not line.strip():
            continue
        s = json.loads(line)
        metrics = {k: v for k, v in s.items() if k not in NON_METRIC_KEYS and isinstance(v, int | float | bool)}
        main = next((m for m in CORRECTNESS_METRICS if m in metrics), None)
        rows.append({
            "run_id": run_id, "task": task, "doc_id": int(s.get("doc_id", -1)), "doc_hash": s.get("doc_hash"),
            "filter": s.get("filter"), "prompt": _prompt(s.get("arguments")), "target": str(s.get("target", "")),
            "response": _response(s), "correct": bool(metrics[main]) if main else None,
            "metrics": json.dumps(metrics), "choice_loglik": choice_loglik(s), "instructions": instructions(s),
        })
    return rows


def task_of_samples_file(path: Path) -> str:
    """`samples_<task>_<timestamp>.jsonl` (lm-eval) or `samples_<task>.jsonl` (our bundles)."""
    stem = path.stem.removeprefix("samples_")
    head, sep, tail = stem.rpartition("_")
    return head if sep and tail[:4].isdigit() and "T" in tail else stem


def write_samples_parquet(run_id: str, files: list[Path], folder: Path) -> Path:
    rows: list[dict] = []
    for f in files:
        with open(f) as fh:
            rows.extend(sample_rows(run_id, task_of_samples_file(f), fh))
    target = folder / f"{run_id}.parquet"
    tmp = folder / f".{run_id}.{os.getpid()}.parquet.tmp"
    pl.DataFrame(rows, schema=SCHEMA).write_parquet(tmp)
    os.replace(tmp, target)
    return target
