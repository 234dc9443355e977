"""The ingest writer killed (SIGKILL, with every process below it) mid-import and mid-publish.

Mid-import: no file is half-loaded (each run in the warehouse has all its scores), and running the same
import again completes it. Mid-publish: readers keep answering from the previous snapshot, the next
publish succeeds, and the killed one leaves no file behind in snapshots/.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from evaluator.queue import notify_ingest
from evaluator.requests import RequestStore
from llmboard.ingestd import serve
from llmboard.processes import alive, stop_tree
from tests.conftest import wait_for
from tests.reliability import Readers, cli_env, request_record, run_cli, size, spawn
from tests.warehouse_files import needs_fixtures, official_results, results_variant, table, write_results
from warehouse import queries
from warehouse.ingest import Writer

pytestmark = [pytest.mark.slow, needs_fixtures]


def results_files(folder: Path, n: int) -> list[Path]:
    """n results files, each the official one as if another model had been evaluated."""
    official = official_results()
    return [write_results(folder, f"m{i:05d}", results_variant(official, f"load/model-{i:05d}", sha=f"{i:040x}"))
            for i in range(n)]


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process and everything in its session (an import's worker pool too)."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    wait_for(lambda: not alive(proc.pid), 10, "the killed process to be gone")


class Progress:
    """The last `n/total` a child's tqdm bar printed on stderr, read by a thread."""

    def __init__(self, stream):
        self.done = 0
        self.text = ""
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for chunk in iter(lambda: stream.read1(4096), b""):
            self.text = (self.text + chunk.decode(errors="replace"))[-4000:]
            found = re.findall(r"(\d+)/\d+ \[", self.text)
            if found:
                self.done = int(found[-1])


def stored_files(home: Path) -> dict[str, tuple[int, int]]:
    """Each stored run with its number of scores and benchmark scores (read from the writer's own file)."""
    rows = table(home, "SELECT r.run_id, (SELECT count(*) FROM scores s WHERE s.run_id = r.run_id), "
                       "(SELECT count(*) FROM benchmark_scores b WHERE b.run_id = r.run_id) FROM runs r")
    return {run_id: (scores, benchmarks) for run_id, scores, benchmarks in rows}


def test_writer_killed_mid_import_leaves_no_half_loaded_file_and_the_rerun_completes(tmp_path):
    n = size(1500, 20_000)
    folder = tmp_path / "results"
    results_files(folder, n)
    home = tmp_path / "home"
    env = {**os.environ, "LLMBOARD_HOME": str(home)}
    importer = spawn(["import", "results", str(folder)], env, stderr=subprocess.PIPE)
    progress = Progress(importer.stderr)
    try:
        wait_for(lambda: progress.done > 0 or importer.poll() is not None, 300, "the import to load its first files")
        assert importer.poll() is None, f"the import ended before it could be killed:\n{progress.text[-2000:]}"
        kill_group(importer)
    finally:
        if importer.poll() is None:
            stop_tree(importer)
    killed_at = progress.done
    assert 0 < killed_at < n

    partial = stored_files(home)
    assert len(partial) < n, "the kill came after the import had finished"
    out = run_cli(["import", "results", str(folder)], env, timeout_s=1800)
    assert out.returncode == 0, out.stderr[-2000:]
    complete = stored_files(home)
    assert len(complete) == n
    assert len(set(complete.values())) == 1, "every file (the same results, another model) has as many scores"
    assert {run: complete[run] for run in partial} == partial, "a file was half-loaded before the kill"
    assert table(home, "SELECT count(*), count(DISTINCT content_sha) FROM ingested_files") == [(n, n)]
    assert queries.rankings_count(home) == n


def test_writer_killed_mid_publish_keeps_readers_on_the_previous_snapshot(cfg, redis_conn, tmp_path):
    n = size(300, 2000)
    with Writer(cfg.home) as w:  # a warehouse big enough that copying it is not instant
        w.import_results(results_files(tmp_path / "results", n))
    snapshots = cfg.snapshots_dir
    rid = request_record(cfg)
    store = RequestStore(cfg.requests_dir)

    def read() -> tuple[int, int]:
        return queries.ingest_version(cfg.home), queries.rankings_count(cfg.home)

    with Readers(read, 4) as readers:
        writer = spawn(["ingest-writer"], cli_env(cfg))
        try:
            first = queries.ingest_version(cfg.home)
            wait_for(lambda: queries.ingest_version(cfg.home) > first, 120, "the writer's first publish")
            caught = None
            for attempt in range(30):  # nudge the writer until the kill lands while a publish is under way
                before, version = set(os.listdir(snapshots)), queries.ingest_version(cfg.home)
                store.update(rid, progress=attempt / 100)
                notify_ingest(redis_conn, "request", request_id=rid)
                while queries.ingest_version(cfg.home) == version:
                    if set(os.listdir(snapshots)) - before:  # the publish has begun writing: kill it now
                        kill_group(writer)
                        caught = version
                        break
                if caught is not None:
                    break
            assert caught is not None, "no kill landed in the middle of a publish in 30 tries"
            after_kill = read()
        finally:
            if writer.poll() is None:
                stop_tree(writer)
        # Readers keep the snapshot published before the kill (or the killed one, if its switch was done).
        assert after_kill[0] >= caught and after_kill[1] == n
        serve(cfg, redis_conn, burst=True)  # the writer starts again: its next publish succeeds
        assert queries.ingest_version(cfg.home) > after_kill[0] and read()[1] == n
    assert readers.errors == [], readers.errors[0]
    assert readers.reads > 0
    names = os.listdir(snapshots)
    assert not [f for f in names if f.endswith(".tmp")], f"the killed publish left files behind: {sorted(names)}"
