"""`llmboard compare`: two real runs of one model, paired item by item."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from evaluator.requests import RequestStore
from evaluator.submit import Submission, submit
from llmboard.cli import main
from llmboard.ingestd import serve
from llmboard.workers import run_worker
from warehouse import queries

pytestmark = pytest.mark.slow


def cli(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture
def two_runs(cfg, redis_conn, tiny_repo, monkeypatch):
    monkeypatch.setenv("LLMBOARD_LIMIT", "6")
    repo, shas = tiny_repo
    ids = [submit(Submission(str(repo), revision=shas[-1], precision=p, model_id="demo/compare"), cfg).request_id
           for p in ("float32", "bfloat16")]
    run_worker(cfg, burst=True)
    serve(cfg, redis_conn, burst=True)
    store = RequestStore(cfg.requests_dir)
    assert all(store.load(i).status == "FINISHED" for i in ids), [store.load(i).failure_reason for i in ids]
    runs = queries.model_runs(cfg.home, "demo/compare")
    return {r["precision"]: r["run_id"] for r in runs.iter_rows(named=True)}


def test_compare_pairs_items_and_its_flip_rate_matches_the_samples(two_runs):
    ref, var = two_runs["float32"], two_runs["bfloat16"]
    result = cli("compare", ref, var, "--json")
    assert {"n_paired", "flip_rate", "agreement", "kl_divergence", "average", "benchmarks"} <= set(result)
    assert {"diff", "ci_low", "ci_high"} <= set(result["average"])
    assert [b["benchmark"] for b in result["benchmarks"]] == ["ifeval", "bbh", "math", "gpqa", "musr", "mmlu_pro"]
    for row in [*result["benchmarks"], result["average"]]:
        assert row["ci_low"] <= row["diff"] <= row["ci_high"]
        assert row["verdict"] == "no detectable difference" or row["verdict"].startswith(("better", "worse"))

    a = {(s["task"], s["doc_id"]): s["correct"] for s in cli("samples", ref, "--limit", "100000", "--json")}
    b = {(s["task"], s["doc_id"]): s["correct"] for s in cli("samples", var, "--limit", "100000", "--json")}
    both = [k for k in a if k in b and a[k] is not None and b[k] is not None]
    assert result["n_paired"] == len(set(a) & set(b))
    assert result["flip_rate"] == pytest.approx(sum(a[k] != b[k] for k in both) / len(both))
    assert 0 <= result["agreement"] <= 1 and result["kl_divergence"] >= 0

    same = cli("compare", ref, ref, "--json")
    assert same["flip_rate"] == 0 and same["agreement"] == 1 and same["kl_divergence"] == pytest.approx(0, abs=1e-12)
    assert same["average"]["diff"] == 0 and same["verdict"] == "no detectable difference"
    assert cli("compare", ref, var, "--json") == result, "the same runs always give the same intervals"

    board = cli("rankings", "--json")  # each run's intervals were computed at ingest
    assert {r["precision"] for r in board} == {"float32", "bfloat16"}
    for row in board:
        assert row["ci_low"] <= row["average"] <= row["ci_high"]
        assert 1 <= row["rank_best"] <= row["rank"] <= row["rank_worst"] <= len(board)
    if board[0]["ci_low"] > board[1]["ci_high"]:
        assert (board[0]["rank_worst"], board[1]["rank_best"]) == (1, 2)
    else:
        assert (board[0]["rank_worst"], board[1]["rank_best"]) == (2, 1), "overlapping intervals: either order"


def test_compare_explains_what_cannot_be_compared(two_runs):
    result = CliRunner().invoke(main, ["compare", two_runs["float32"], "no-such-run"])
    assert result.exit_code == 1 and "no such run" in result.output and "Traceback" not in result.output
