"""Every precision through the real path: submit -> burst RQ worker -> bundle -> ingest writer -> warehouse.

One tiny random Llama (with a Q8_0 GGUF of itself in a second commit) is evaluated in float32, bfloat16,
float16, 8bit, 4bit and gguf, plus a LoRA adapter applied to it; each must land as its own warehouse
entry, load in what was asked (run.json), and not all give the same per-sample outputs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from core.vocabulary import PRECISIONS
from evaluator.requests import RequestStatus, RequestStore
from evaluator.submit import Submission, submit
from llmboard.ingestd import serve
from llmboard.workers import run_worker
from tests.conftest import REPO
from warehouse import queries

pytestmark = pytest.mark.slow

MODEL_ID = "demo/tiny-prec"
ADAPTER_ID = "demo/tiny-prec-lora"
EXPECTED = {  # precision -> (run.json dtype, quantization prefix)
    "float32": ("float32", None), "bfloat16": ("bfloat16", None), "float16": ("float16", None),
    "8bit": ("float32", "bitsandbytes int8"), "4bit": ("float32", "bitsandbytes nf4"), "gguf": ("float32", "gguf Q8_0"),
}


def _commit(repo: Path, message: str) -> str:
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", message], check=True)
    return subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()


def build_models(root: Path) -> None:
    """`root/tiny-prec`: a tiny Llama with its Q8_0 GGUF beside it; `root/tiny-prec-lora`: a LoRA for it."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from evaluator.gguf_export import export_llama_gguf
    from evaluator.zoo import make_tiny_model_repo

    model = root / "tiny-prec"
    make_tiny_model_repo(model, commits=1, seed=11)
    export_llama_gguf(model, model / "tiny-prec.Q8_0.gguf")
    _commit(model, "Add a Q8_0 GGUF")

    adapter = root / "tiny-prec-lora"
    torch.manual_seed(5)
    base = AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32)
    lora = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                           init_lora_weights=False))  # random B, so the adapter changes outputs
    lora.save_pretrained(adapter, safe_serialization=True)
    (adapter / "README.md").write_text("---\nlicense: apache-2.0\nbase_model: demo/tiny-prec\n---\n\n# LoRA\n")
    subprocess.run(["git", "init", "-q", "-b", "main", str(adapter)], check=True)
    _commit(adapter, "LoRA adapter")


@pytest.fixture(scope="module")
def repos(tmp_path_factory) -> tuple[Path, Path]:
    """Built in a child process: torch run in this process would make the worker's forked work horse
    crawl (OpenMP's thread pool does not survive fork), turning seconds into minutes."""
    root = tmp_path_factory.mktemp("precision-models")
    subprocess.run([sys.executable, "-c", f"from pathlib import Path; from tests.test_precisions import build_models; "
                                          f"build_models(Path({str(root)!r}))"], cwd=REPO, check=True)
    return root / "tiny-prec", root / "tiny-prec-lora"


def _bundle(cfg, request_id: str) -> Path:
    return next(cfg.results_dir.glob(f"{request_id}/*/results.json")).parent


def _outputs(bundle: Path) -> dict[tuple[str, int], str]:
    """(task, doc_id) -> the logged per-sample response, straight from the bundle."""
    out = {}
    for f in sorted(bundle.glob("samples_*.jsonl")):
        for line in f.read_text().splitlines():
            s = json.loads(line)
            out[(f.stem, s["doc_id"])] = json.dumps(s["resps"])
    return out


def test_every_precision_lands_in_the_warehouse(cfg, redis_conn, repos, monkeypatch):
    model, adapter = repos
    monkeypatch.setenv("LLMBOARD_LIMIT", "2")  # read by the job; 7 runs of the whole suite on 2 cores
    reqs = {p: submit(Submission(str(model), precision=p, model_id=MODEL_ID), cfg) for p in PRECISIONS}
    lora = submit(Submission(str(adapter), precision="float32", weight_type="Adapter", base_model=MODEL_ID,
                             model_type="fine-tuned", model_id=ADAPTER_ID), cfg)

    run_worker(cfg, burst=True)
    store = RequestStore(cfg.requests_dir)
    for req in [*reqs.values(), lora]:
        done = store.load(req.request_id)
        assert done.status == RequestStatus.FINISHED, (req.precision, done.failure_reason, done.log_tail)
    serve(cfg, redis_conn, burst=True)

    # Each precision is its own warehouse entry, at the same sha.
    sha = reqs["float32"].sha
    for p in PRECISIONS:
        board = queries.rankings(cfg.home, precision=p)
        assert board.filter(pl.col("model_id") == MODEL_ID).height == 1, p
    compared = queries.quantization_comparison(cfg.home, MODEL_ID, sha=sha)
    assert set(compared["precision"]) == set(PRECISIONS)
    assert compared.filter(pl.col("is_reference"))["precision"].unique().to_list() == ["float32"]

    # The model was loaded in what was asked for, and run.json says so.
    bundles = {p: _bundle(cfg, r.request_id) for p, r in reqs.items()}
    for p, (dtype, quantization) in EXPECTED.items():
        run = json.loads((bundles[p] / "run.json").read_text())
        assert run["dtype"] == dtype, (p, run["loaded"])
        assert run["loaded"]["parameter_dtypes"] == [dtype], (p, run["loaded"])
        assert (run["quantization"] or "").startswith(quantization or ""), (p, run["quantization"])
        assert bool(run["quantization"]) == bool(quantization), p
    assert json.loads((bundles["8bit"] / "run.json").read_text())["loaded"]["quantized_modules"] > 0

    # The logged per-sample outputs are not all the same: quantization changes what the model says.
    outputs = {p: _outputs(b) for p, b in bundles.items()}
    assert all(o.keys() == outputs["float32"].keys() for o in outputs.values())
    differing = {p for p in PRECISIONS if outputs[p] != outputs["float32"]}
    assert {"8bit", "4bit", "bfloat16"} & differing, "no precision changed any logged output"

    # The adapter was applied on top of its base (recorded) and changes the outputs too.
    lora_bundle = _bundle(cfg, lora.request_id)
    run = json.loads((lora_bundle / "run.json").read_text())
    assert run["base_model"] == {"model": MODEL_ID, "sha": sha}
    assert _outputs(lora_bundle) != outputs["float32"]
    assert queries.rankings(cfg.home, weight_type="Adapter")["model_id"].to_list() == [ADAPTER_ID]
