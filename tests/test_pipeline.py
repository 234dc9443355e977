"""The thin path through every part: submit -> queue -> worker -> bundle -> ingest writer -> rankings."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from evaluator.requests import RequestStatus, RequestStore
from evaluator.submit import Submission, submit
from llmboard.cli import main
from llmboard.ingestd import serve
from llmboard.workers import run_worker
from tests.conftest import REPO
from tests.dashboard_app import RUN_LIMIT_S
from warehouse import queries

pytestmark = pytest.mark.slow


def test_submit_evaluate_ingest_rank(cfg, redis_conn, tiny_repo):
    repo, shas = tiny_repo
    req = submit(Submission(str(repo), revision="main", precision="float32", model_type="pretrained",
                            model_id="demo/tiny-base"), cfg)
    assert req.status == RequestStatus.PENDING
    assert req.sha == shas[-1], "a branch resolves to its full commit sha"

    run_worker(cfg, burst=True)
    done = RequestStore(cfg.requests_dir).load(req.request_id)
    assert done.status == RequestStatus.FINISHED, done.failure_reason
    assert [h["status"] for h in done.history] == ["PENDING", "RUNNING", "FINISHED"]

    serve(cfg, redis_conn, burst=True)
    # The request record is in the warehouse too, with its status history, and on the CLI.
    from warehouse.read import reader

    events = reader(cfg.home).frame(
        "SELECT r.status, list(e.status ORDER BY e.seq) AS history FROM requests r JOIN request_events e "
        "USING (request_id) WHERE request_id = ? GROUP BY r.status", [req.request_id])
    assert events.to_dicts() == [{"status": "FINISHED", "history": ["PENDING", "RUNNING", "FINISHED"]}]
    status = CliRunner().invoke(main, ["status", "demo/tiny-base", "--json"])
    assert status.exit_code == 0 and json.loads(status.output)[0]["status"] == "FINISHED"
    board = queries.rankings(cfg.home)
    assert board.height == 1
    row = board.row(0, named=True)
    assert (row["model_id"], row["sha"], row["precision"], row["rank"]) == ("demo/tiny-base", shas[-1], "float32", 1)
    scores = [row[k] for k, _ in queries.benchmark_columns("offline")]
    assert all(s is not None and 0 <= s <= 100 for s in scores)
    assert row["average"] == pytest.approx(sum(scores) / len(scores))

    # The bundle's own results file says the same as the warehouse.
    bundle = next(cfg.results_dir.glob(f"{req.request_id}/*/results.json"))
    results = json.loads(bundle.read_text())
    assert results["model_sha"] == shas[-1]
    assert (bundle.parent / "run.log").exists() and list(bundle.parent.glob("samples_*.jsonl"))

    out = CliRunner().invoke(main, ["rankings", "--json"], env={"LLMBOARD_HOME": str(cfg.home)})
    assert out.exit_code == 0, out.output
    printed = json.loads(out.output)
    assert printed[0]["model_id"] == "demo/tiny-base"
    assert printed[0]["average"] == pytest.approx(row["average"])

    # ... and the dashboard's leaderboard page shows it.
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=RUN_LIMIT_S).run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert "demo/tiny-base" in shown.to_string()
