"""Evaluate one request: load the model at its pinned sha and precision, run lm-eval, write a bundle.

Heavy imports (torch, transformers, lm_eval) happen here, inside functions, only in workers.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from core.settings import Config
from core.vocabulary import PRECISIONS
from evaluator.checks import SubmissionProblem, check_no_remote_code
from evaluator.gguf_loading import gguf_loading
from evaluator.requests import Request
from evaluator.sources import open_source

Progress = Callable[[str, float], None]  # (what is running, fraction done 0..1)


def device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


FLOAT_PRECISIONS = ("float32", "float16", "bfloat16")
BNB_PRECISIONS = ("8bit", "4bit")


def _quantization_config(precision: str, dev: str):
    """bitsandbytes settings: int8 (LLM.int8) or 4-bit NF4; both run on CPU with bitsandbytes >= 0.49.

    Layers bitsandbytes leaves alone (embeddings, norms, lm_head) and the 4-bit compute run in float32
    on CPU (half precision there is slow and lossy) and in float16 on CUDA, as is usual for bitsandbytes.
    """
    import torch
    from transformers import BitsAndBytesConfig

    compute = torch.float16 if dev == "cuda" else torch.float32
    if precision == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True), compute
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=compute, bnb_4bit_quant_type="nf4"), compute


class _Once(logging.Filter):
    """Let a message through once (bitsandbytes logs its int8 input cast on every forward pass)."""

    def __init__(self):
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        key = str(record.msg)
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def _load_weights(folder: Path, precision: str, gguf_file: str | None, dev: str):
    """The causal LM at `folder` in `precision`, placed on `dev`; never runs the model's own code.

    gguf: the file `gguf_file`, dequantized to float32 by transformers (it has no GGUF kernels).
    """
    import torch
    from transformers import AutoModelForCausalLM

    common = {"trust_remote_code": False}
    if precision == "gguf":
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf_file, dtype=torch.float32, **common)
        return model.to(dev)
    if precision in BNB_PRECISIONS:
        quant, compute = _quantization_config(precision, dev)
        logging.getLogger("bitsandbytes.autograd._functions").addFilter(_Once())
        model = AutoModelForCausalLM.from_pretrained(folder, quantization_config=quant, device_map={"": dev},
                                                     dtype=compute, **common)
        if precision == "4bit" and dev == "cpu":
            _unpacked_4bit_where_needed(model)
        return model
    dtype = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[precision]
    return AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, **common).to(dev)


def _unpacked_4bit_where_needed(model) -> None:
    """Keep bitsandbytes' 4-bit CPU kernel off layers it cannot pack.

    On CPUs with AVX512-BF16, bitsandbytes repacks each 4-bit weight at its first inference call, which
    needs out_features divisible by 32 and in_features by the quantization block (64); smaller layers
    (the demo's tiny models) would fail there. Those layers stay 4-bit and use the generic kernel.
    """
    import bitsandbytes as bnb

    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            state = module.weight.quant_state
            if module.out_features % 32 or module.in_features % state.blocksize:
                module.support_avx512bf16_for_cpu = False


def _load_tokenizer(folders: list[Path], gguf_file: str | None):
    """The GGUF file's own tokenizer; else the first folder's that has one (an adapter's, else its base's)."""
    import tempfile

    from transformers import AutoTokenizer

    if gguf_file:
        # Read from a folder holding the GGUF alone: beside a tokenizer_config.json, transformers
        # builds the GGUF's vocabulary but drops its special tokens (eos/bos/pad become None).
        with tempfile.TemporaryDirectory() as alone:
            (Path(alone) / gguf_file).symlink_to((folders[0] / gguf_file).resolve())
            return AutoTokenizer.from_pretrained(alone, gguf_file=gguf_file, trust_remote_code=False)
    for folder in folders:
        if any((folder / name).exists() for name in ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")):
            return AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
    raise SubmissionProblem(f"no tokenizer in {', '.join(f.name for f in folders)}")


def load_model(folder: Path, req: Request, base_folder: Path | None = None):
    """The model, its tokenizer and what was loaded (`loaded_facts`), at `folder` in the request's precision.

    Never runs the model's own code. A float precision that loads in another dtype, or a bitsandbytes
    one that quantized nothing, is an error, not a silent fallback.

    An Adapter (weight type) is a PEFT adapter in `folder`, applied to the base model in `base_folder`
    (loaded in the request's precision) and merged into it, so lm-eval sees a plain model.
    """
    dev = device()
    gguf = None
    if req.precision not in PRECISIONS:
        raise SubmissionProblem(f"precision {req.precision!r} is not one this worker can load")
    try:
        with gguf_loading() if req.precision == "gguf" else contextlib.nullcontext():
            if req.weight_type == "Adapter":
                if base_folder is None:
                    raise SubmissionProblem("an Adapter needs its base model")
                if req.precision == "gguf":
                    raise SubmissionProblem("an Adapter cannot be applied to a GGUF base: choose a float or bitsandbytes precision")
                from peft import PeftModel

                base = _load_weights(base_folder, req.precision, None, dev)
                model = PeftModel.from_pretrained(base, folder, is_trainable=False).merge_and_unload()
                tokenizer = _load_tokenizer([folder, base_folder], None)
            else:
                gguf = (req.gguf_file or next(p.name for p in sorted(folder.glob("*.gguf")))) if req.precision == "gguf" else None
                model = _load_weights(folder, req.precision, gguf, dev)
                tokenizer = _load_tokenizer([folder], gguf)
            model.eval()
            loaded = loaded_facts(model, folder / gguf if gguf else None, req)
    except (OSError, ValueError, KeyError, StopIteration) as exc:
        raise SubmissionProblem(f"the model does not load in {req.precision}: {exc}") from exc
    if req.precision in FLOAT_PRECISIONS and loaded["dtype"] != req.precision:
        raise RuntimeError(f"asked for {req.precision}, the model loaded in {loaded['dtype']}")
    if req.precision in BNB_PRECISIONS and not loaded["quantized_modules"]:
        raise RuntimeError(f"asked for {req.precision}, but no layer was quantized by bitsandbytes")
    return model, tokenizer, loaded


def loaded_facts(model, gguf_path: Path | None, req: Request) -> dict:
    """What was actually loaded: the floating dtype, the quantization and how many layers it covers."""
    floats = {str(p.dtype).removeprefix("torch.") for p in model.parameters() if p.dtype.is_floating_point}
    dtype = str(model.dtype).removeprefix("torch.")
    quantization, count = None, 0
    if req.precision in BNB_PRECISIONS:
        import bitsandbytes as bnb

        kind = bnb.nn.Linear8bitLt if req.precision == "8bit" else bnb.nn.Linear4bit
        count = sum(isinstance(m, kind) for m in model.modules())
        quantization = "bitsandbytes int8" if req.precision == "8bit" else "bitsandbytes nf4"
    elif gguf_path is not None:
        quantization = f"gguf {gguf_tensor_types(gguf_path)}"
    return {"dtype": dtype, "parameter_dtypes": sorted(floats), "quantization": quantization,
            "quantized_modules": count, "device": str(next(model.parameters()).device),
            "parameters": int(sum(p.numel() for p in model.parameters()))}


def gguf_tensor_types(path: Path) -> str:
    """The GGML tensor types in a GGUF file, most common first (e.g. 'Q4_1+F32')."""
    from collections import Counter

    from gguf import GGUFReader

    counts = Counter(t.tensor_type.name for t in GGUFReader(path).tensors)
    return "+".join(name for name, _ in counts.most_common())


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

    from core.suites import suite
    from evaluator.suite import prepare_nltk, task_manager, write_suite

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


class BundleNotWritten(OSError):
    """The results folder took no bundle (full, read-only, gone): an infrastructure failure."""


def write_bundle(results: dict, req: Request, run: dict, log_path: Path, results_dir: Path) -> Path:
    """Write the result bundle into a temporary folder, then rename it into place (atomic). When the folder
    cannot take it, nothing is left there (no half-written bundle) and BundleNotWritten says why."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    parent = results_dir / req.request_id
    tmp = parent / f".tmp-{stamp}-{os.getpid()}"
    made_parent = not parent.exists()
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        final = parent / f"{stamp}-attempt{req.attempts}"
        _write_bundle_files(tmp, results, req, run, log_path)
        os.replace(tmp, final)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if made_parent:
            with contextlib.suppress(OSError):
                parent.rmdir()
        raise BundleNotWritten(exc.errno, f"the result bundle could not be written to {results_dir} "
                                          f"({exc.strerror or exc}): free space or make the folder writable") from exc
    return final


def _write_bundle_files(tmp: Path, results: dict, req: Request, run: dict, log_path: Path) -> None:
    samples = results.pop("samples", None) or {}
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


def base_source(req: Request, cfg: Config):
    """Where an Adapter's base model comes from, pinned to one sha.

    `base_model` is a model id. When a local repository was submitted under that id, the base is that
    repository at the sha of its latest such request (finished ones first); otherwise it is the hub
    model of that id at `main`.
    """
    from evaluator.requests import RequestStatus, RequestStore

    local = [r for r in RequestStore(cfg.requests_dir).all()
             if r.model == req.base_model and r.weight_type != "Adapter" and r.source not in ("", "hub")]
    if local:
        best = max(local, key=lambda r: (r.status == RequestStatus.FINISHED, r.submitted_time))
        return open_source(best.model, best.sha, best.source)
    return open_source(req.base_model, "main")


def run_request(req: Request, cfg: Config, log_path: Path, report: Progress) -> Path:
    started = datetime.now(UTC)
    t0 = time.monotonic()
    source = open_source(req.model, req.sha, req.source if req.source != "hub" else None)
    if source.sha != req.sha:
        raise SubmissionProblem(f"revision {req.revision} now resolves to {source.sha}, not {req.sha}")
    base = base_source(req, cfg) if req.weight_type == "Adapter" else None
    report("loading model", 0.0)
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(source.checkout())
        base_folder = stack.enter_context(base.checkout()) if base is not None else None
        for checked in (folder, base_folder):
            if checked is not None:
                check_no_remote_code(checked)
        model, tokenizer, loaded = load_model(folder, req, base_folder)
        load_s = time.monotonic() - t0
        report("evaluating", 0.0)
        results = run_lm_eval(model, tokenizer, req, cfg, report)
    run = {
        "started_at": started.isoformat(), "finished_at": datetime.now(UTC).isoformat(),
        "duration_s": round(time.monotonic() - t0, 3), "load_s": round(load_s, 3), "device": device(),
        "dtype": loaded["dtype"], "quantization": loaded["quantization"], "loaded": loaded,
        "base_model": {"model": req.base_model, "sha": base.sha} if base is not None else None,
        "suite": cfg.suite, "limit": cfg.limit, "batch_size": cfg.batch_size,
    }
    report("writing results", 1.0)
    return write_bundle(results, req, run, log_path, cfg.results_dir)
