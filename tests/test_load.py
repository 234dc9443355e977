"""Load: many at once, with readers querying throughout, and nothing lost, duplicated or leaked.

- A burst of submissions, 2 workers, the ingest writer, and readers making the dashboard's queries:
  every request ends FINISHED or FAILED with a reason, no error reaches a reader, no duplicate rows.
- An import of many results files while readers query the rankings: every read succeeds.
- A publish after another while readers query: no reader error, no snapshot file or connection leaked
  (the open files of the test process and of the writer, counted before and after).

Sizes: tests/reliability.py (LLMBOARD_RELIABILITY_FULL=1 for RELIABILITY.md's).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from evaluator.queue import notify_ingest
from evaluator.requests import RequestStatus, RequestStore
from evaluator.submit import Submission, submit
from llmboard.processes import stop_tree
from tests.conftest import wait_for
from tests.reliability import FULL, Readers, cli_env, open_files, request_record, size, snapshot_files, spawn
from tests.test_writer_faults import results_files
from tests.warehouse_files import needs_fixtures
from warehouse import queries
from warehouse.ingest import Writer
from warehouse.queries.snapshot import frame

pytestmark = pytest.mark.slow


def dashboard_reads(home):
    """What the Leaderboard and Queue pages ask for on each view."""
    def read() -> int:
        version = queries.ingest_version(home)
        if version:
            queries.rankings_page(home, limit=50)
            queries.rankings_count(home)
            frame(home, "SELECT request_id, status, progress FROM requests ORDER BY submitted_time DESC LIMIT 50")
        return version
    return read


def test_a_burst_of_submissions_with_two_workers_ends_every_request_once(cfg, redis_conn, tiny_repo):
    repo, shas = tiny_repo
    n = size(4, 200)
    env = cli_env(cfg, limit="1", max_retries="1")
    procs = [spawn(["ingest-writer"], env), *(spawn(["worker", "--name", f"load-{i}"], env) for i in range(2))]
    store = RequestStore(cfg.requests_dir)
    try:
        with Readers(dashboard_reads(cfg.home), 2) as readers:
            with ThreadPoolExecutor(8) as pool:  # one burst: many submitters at once
                sent = list(pool.map(lambda i: submit(Submission(
                    str(repo), revision=shas[i % 3], model_id=f"burst/m{i:03d}", admin_token=cfg.admin_token), cfg),
                    range(n)))
            ids = sorted(r.request_id for r in sent)
            final = (RequestStatus.FINISHED, RequestStatus.FAILED)
            wait_for(lambda: all(r.status in final for r in store.all()), 120 + 30 * n, "every request to end")
            on_disk = {r.request_id: r.status for r in store.all()}
            wait_for(lambda: dict(frame(cfg.home, "SELECT request_id, status FROM requests").iter_rows()) == on_disk,
                     120, "the writer to store every request's end")
    finally:
        for p in procs:
            stop_tree(p)

    done = store.all()
    assert sorted(r.request_id for r in done) == ids
    failed = [r for r in done if r.status == RequestStatus.FAILED]
    assert all(r.failure_kind and r.failure_reason for r in failed), [(r.request_id, r.failure_reason) for r in failed]
    assert all(r.attempts == 1 for r in done if r.status == RequestStatus.FINISHED), "an evaluation ran twice"
    runs = frame(cfg.home, "SELECT request_id, count(*) AS n FROM runs GROUP BY request_id")
    assert sorted(runs["request_id"]) == sorted(r.request_id for r in done if r.status == RequestStatus.FINISHED)
    assert set(runs["n"]) <= {1}, "a request has two runs"
    events = frame(cfg.home, "SELECT request_id, count(*) AS n, count(DISTINCT seq) AS seqs FROM request_events "
                             "GROUP BY request_id")
    assert {rid: (k, s) for rid, k, s in events.iter_rows()} == {r.request_id: (len(r.history),) * 2 for r in done}
    assert readers.errors == [], readers.errors[0]
    assert readers.reads > 0 and max(readers.results) > 0


@needs_fixtures
def test_an_import_while_readers_query_rankings(tmp_path):
    n, count = size(1000, 20_000), size(4, 20)
    folder = tmp_path / "results"
    results_files(folder, n)
    home = tmp_path / "home"
    importer = spawn(["import", "results", str(folder)], {**os.environ, "LLMBOARD_HOME": str(home)})
    with Readers(dashboard_reads(home), count) as readers:
        code = importer.wait(timeout=3600)
    assert code == 0
    assert readers.errors == [], readers.errors[0]
    assert readers.reads >= count
    assert queries.rankings_count(home) == n


@needs_fixtures
def test_publishes_while_readers_query_leak_no_snapshot_or_connection(cfg, redis_conn, tmp_path):
    publishes, every_s = size(15, 60), (1.0 if FULL else 0.0)
    with Writer(cfg.home) as w:
        w.import_results(results_files(tmp_path / "results", 50))
    rid = request_record(cfg)
    store = RequestStore(cfg.requests_dir)
    writer = spawn(["ingest-writer"], cli_env(cfg))
    try:
        first = queries.ingest_version(cfg.home)
        wait_for(lambda: queries.ingest_version(cfg.home) > first, 120, "the writer's first publish")
        dashboard_reads(cfg.home)()
        mine, its = open_files(), open_files(writer.pid)
        with Readers(dashboard_reads(cfg.home), 4) as readers:
            started = time.monotonic()
            for i in range(publishes):
                wait_for(lambda due=started + i * every_s: time.monotonic() >= due, 5, "the next second")  # pacing
                version = queries.ingest_version(cfg.home)
                store.update(rid, progress=i / 100)
                notify_ingest(redis_conn, "request", request_id=rid)
                wait_for(lambda v=version: queries.ingest_version(cfg.home) > v, 60, f"publish {i + 1}")
        dashboard_reads(cfg.home)()  # the readers' connection moves to the newest snapshot
        mine_after, its_after = open_files(), open_files(writer.pid)
    finally:
        stop_tree(writer)
    assert readers.errors == [], readers.errors[0]
    assert [f for f in snapshot_files(mine_after) if "(deleted)" in f] == [], "a reader holds a deleted snapshot"
    assert len(snapshot_files(mine_after)) <= max(1, len(snapshot_files(mine)))
    assert len(mine_after) <= len(mine) + 3, sorted(set(mine_after) - set(mine))
    assert snapshot_files(its_after) == [] and len(its_after) <= len(its) + 3, sorted(set(its_after) - set(its))
    left = sorted(p.name for p in cfg.snapshots_dir.iterdir())
    assert not [f for f in left if f.endswith(".tmp")], left
    assert len([f for f in left if f.endswith(".duckdb")]) <= 6 < publishes, f"snapshot files pile up: {left}"
