"""Evaluate one request: load the model at its pinned sha and precision, run lm-eval, write a bundle.

Heavy imports (torch, transformers, lm_eval) happen here, inside functions, only in workers.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from evaluator.requests import Request
from evaluator.sources import open_source
from llmboard.settings import Config

Progress = Callable[[str, float], None]  # (what is running, fraction done 0..1)


class SubmissionProblem(Exception):
    """The model itself cannot be evaluated (bad config, corrupt weights): retrying will not help."""


def device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_model(folder: Path, req: Request):
    """The model and tokenizer at `folder` in the request's precision; never runs the model's own code."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    common = {"trust_remote_code": False}
    dev = device()
    try:
        if req.precision == "gguf":
            gguf = req.gguf_file or next(p.name for p in folder.glob("*.gguf"))
            model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf, dtype=torch.float32, **common)
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf, **common)
        elif req.precision in ("8bit", "4bit"):
            from transformers import BitsAndBytesConfig

            quant = (BitsAndBytesConfig(load_in_8bit=True) if req.precision == "8bit" else
                     BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=torch.float32,
                                        bnb_4bit_quant_type="nf4"))
            model = AutoModelForCausalLM.from_pretrained(folder, quantization_config=quant, device_map=dev,
                                                         dtype=torch.float32, **common)
            tokenizer = AutoTokenizer.from_pretrained(folder, **common)
        else:
            dtype = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[req.precision]
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, **common)
            tokenizer = AutoTokenizer.from_pretrained(folder, **common)
    except (OSError, ValueError, KeyError) as exc:
        raise SubmissionProblem(f"the model does not load in {req.precision}: {exc}") from exc
    if req.precision not in ("8bit", "4bit"):
        model = model.to(dev)
    model.eval()
    return model, tokenizer


def _progress_tqdm(report: Progress):
    from tqdm import tqdm

    class ReportingTqdm(tqdm):
        last = 0.0

        def update(self, n=1):
            out = super().update(n)
            now = time.monotonic()
            if self.total and (now - ReportingTqdm.last > 1.0 or self.n >= self.total):
                ReportingTqdm.last = now
                report(self.desc or "evaluating", min(1.0, self.n / self.total))
            return out

    return ReportingTqdm


def run_lm_eval(model, tokenizer, req: Request, cfg: Config, report: Progress) -> dict:
    import lm_eval.models.huggingface as hf
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM

    from evaluator.suite import prepare_nltk, task_manager, write_suite
    from warehouse.benchmarks import suite

    hf.tqdm = _progress_tqdm(report)
    chosen = suite(cfg.suite)
    if cfg.suite == "offline":
        include = write_suite(cfg.home / "suite")
        prepare_nltk(cfg.home / "nltk_data")
        manager = task_manager(include)
    else:
        from lm_eval.tasks import TaskManager

        manager = TaskManager()
    lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=cfg.batch_size, device=device(),
              trust_remote_code=False)
    results = simple_evaluate(
        model=lm, tasks=list(chosen.lm_eval_tasks), task_manager=manager, log_samples=True, limit=cfg.limit,
        apply_chat_template=req.use_chat_template, fewshot_as_multiturn=req.use_chat_template,
        batch_size=cfg.batch_size, device=device(), verbosity="WARNING",
    )
    return dict(results)


def environment() -> dict:
    import importlib.metadata as md

    versions = {}
    for pkg in ("torch", "transformers", "lm_eval", "accelerate", "bitsandbytes", "peft", "duckdb", "llmboard"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    return {"python": platform.python_version(), "platform": platform.platform(), "packages": versions}


def write_bundle(results: dict, req: Request, run: dict, log_path: Path, results_dir: Path) -> Path:
    """Write the result bundle into a temporary folder, then rename it into place (atomic)."""
    samples = results.pop("samples", None) or {}
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    parent = results_dir / req.request_id
    parent.mkdir(parents=True, exist_ok=True)
    final = parent / f"{stamp}-attempt{req.attempts}"
    tmp = parent / f".tmp-{stamp}-{os.getpid()}"
    tmp.mkdir()
    results.setdefault("model_sha", req.sha)
    (tmp / "results.json").write_text(json.dumps(results, indent=1, default=str))
    for task, rows in samples.items():
        with open(tmp / f"samples_{task}.jsonl", "w") as fh:
            for row in rows:
                fh.write(json.dumps(row, default=str) + "\n")
    (tmp / "request.json").write_text(json.dumps(req.to_json(), indent=2))
    (tmp / "run.json").write_text(json.dumps(run, indent=2))
    (tmp / "env.json").write_text(json.dumps(environment(), indent=2))
    if log_path.exists():
        shutil.copyfile(log_path, tmp / "run.log")
    os.replace(tmp, final)
    return final


def run_request(req: Request, cfg: Config, log_path: Path, report: Progress) -> Path:
    started = datetime.now(UTC)
    t0 = time.monotonic()
    source = open_source(req.model, req.sha, req.source if req.source != "hub" else None)
    if source.sha != req.sha:
        raise SubmissionProblem(f"revision {req.revision} now resolves to {source.sha}, not {req.sha}")
    report("loading model", 0.0)
    with source.checkout() as folder:
        model, tokenizer = load_model(folder, req)
        report("evaluating", 0.0)
        results = run_lm_eval(model, tokenizer, req, cfg, report)
    run = {
        "started_at": started.isoformat(), "finished_at": datetime.now(UTC).isoformat(),
        "duration_s": round(time.monotonic() - t0, 3), "device": device(), "dtype": req.precision,
        "suite": cfg.suite, "limit": cfg.limit, "batch_size": cfg.batch_size,
    }
    report("writing results", 1.0)
    return write_bundle(results, req, run, log_path, cfg.results_dir)
