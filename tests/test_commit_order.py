"""History follows the commits: evaluated newest first (as `make demo` does), a model's history still
runs from its first commit to its last, each point labelled with its short sha and commit title."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from evaluator.submit import Submission, submit
from llmboard.cli import main
from llmboard.ingestd import serve
from llmboard.workers import run_worker
from tests.dashboard_app import chart, page
from warehouse import queries

pytestmark = pytest.mark.slow

TITLES = ["Initial weights", "Weights after training round 1", "Weights after training round 2"]


def test_history_runs_from_the_first_commit_whatever_the_evaluation_order(cfg, redis_conn, tiny_repo,
                                                                           monkeypatch):
    monkeypatch.setenv("LLMBOARD_LIMIT", "1")
    repo, shas = tiny_repo
    for sha in reversed(shas):  # newest commit first
        req = submit(Submission(str(repo), revision=sha, model_id="demo/commit-order"), cfg)
        assert (req.commit_position, req.commit_title) == (shas.index(sha) + 1, TITLES[shas.index(sha)])
        run_worker(cfg, burst=True)  # evaluated in submission order: newest first
    serve(cfg, redis_conn, burst=True)

    out = CliRunner().invoke(main, ["history", "demo/commit-order", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [r["sha"] for r in rows] == shas, "oldest commit first"
    assert [r["commit_title"] for r in rows] == TITLES and [r["commit_position"] for r in rows] == [1, 2, 3]
    evaluated = [r["run_at"] for r in rows]
    assert evaluated == sorted(evaluated, reverse=True), "they were evaluated newest first"

    monkeypatch.setenv("LLMBOARD_HOME", str(cfg.home))
    at = page("history", model="demo/commit-order")
    average = chart(at)[-1]
    assert list(average["x"]) == [f"{s[:7]} · {t}" for s, t in zip(shas, TITLES, strict=True)]
    assert "evaluated %{customdata[1]}" in average["hovertemplate"]
    assert [c[1] for c in average["customdata"]] == [str(r["run_at"])[:16].replace("T", " ") for r in rows]
    assert queries.run_history(cfg.home, "demo/commit-order", "float32")["label"].to_list() == list(average["x"])
