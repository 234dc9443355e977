"""The warehouse's imports: the leaderboard's real files, bad files failing alone, the worker processes,
the raw copies, publishing during a long import and the incremental refresh of the leaderboard tables."""

from __future__ import annotations

import json
import shutil

import duckdb
import polars as pl
import pytest

from tests.conftest import FIXTURES
from tests.warehouse_files import cli, needs_fixtures, official_results, results_variant, table, write_results
from warehouse import queries
from warehouse.formats import read_contents
from warehouse.ingest import Writer, walk


@needs_fixtures
def test_official_results_give_back_the_published_scores(tmp_path):
    out = cli(tmp_path, "import", "results", str(FIXTURES / "results" / "official"))
    assert out.exit_code == 0 and "1 loaded" in out.output
    expected = json.loads((FIXTURES / "results" / "official_expected.json").read_text())
    (model, scores), = expected.items()
    row = queries.rankings(tmp_path, suite="leaderboard", search=model).row(0, named=True)
    labels = {"IFEval": "ifeval", "BBH": "bbh", "MATH": "math", "GPQA": "gpqa", "MUSR": "musr",
              "MMLU-PRO": "mmlu_pro", "Average": "average"}
    for label, value in scores.items():
        assert row[labels[label]] == pytest.approx(value, abs=0.01), label


@needs_fixtures
def test_results_without_groups_rebuild_aggregates(tmp_path):
    qwen = next((FIXTURES / "results").glob("Qwen__*.json"))
    assert cli(tmp_path, "import", "results", str(qwen)).exit_code == 0
    row = queries.rankings(tmp_path, suite="leaderboard").row(0, named=True)
    assert row["model_id"] == "Qwen/Qwen2.5-7B"
    assert all(row[k] is not None for k in ("ifeval", "bbh", "math", "gpqa", "musr", "mmlu_pro"))
    # GPQA is the sample-weighted group value, rebuilt from its three subtasks, then normalized.
    data = json.loads(qwen.read_text())
    subs = [t for t in data["results"] if t.startswith("leaderboard_gpqa_")]
    n = {t: data["n-samples"][t]["effective"] for t in subs}
    raw = sum(data["results"][t]["acc_norm,none"] * n[t] for t in subs) / sum(n.values())
    assert row["gpqa"] == pytest.approx((raw - 0.25) / 0.75 * 100, abs=1e-6)


@needs_fixtures
def test_contents_ranking_reproduces_the_published_order(tmp_path):
    src = FIXTURES / "contents" / "v2_contents_sample.csv"
    assert cli(tmp_path, "import", "contents", str(src)).exit_code == 0
    published = read_contents(src)
    board = queries.rankings(tmp_path, suite="leaderboard", show_flagged=True)
    assert board.height == published.unique(["model", "precision"]).height
    for (mtype, precision), group in published.group_by(["model_type", "precision"]):
        ours = board.filter((pl.col("model_type") == mtype) & (pl.col("precision") == precision))
        theirs = group.sort("average", descending=True)
        assert ours["average"].to_list() == pytest.approx(theirs["average"].to_list(), abs=1e-9)
        assert ours["model_id"].to_list() == theirs["model"].to_list()


@needs_fixtures
def test_importing_twice_changes_nothing(tmp_path):
    for kind, path in (("requests", FIXTURES / "requests"), ("results", FIXTURES / "results"),
                       ("contents", FIXTURES / "contents")):
        cli(tmp_path, "import", kind, str(path))
    before = {t: table(tmp_path, f"SELECT * FROM {t} ORDER BY ALL") for t in ("requests", "request_events", "runs")}
    for kind, path in (("requests", FIXTURES / "requests"), ("results", FIXTURES / "results"),
                       ("contents", FIXTURES / "contents")):
        out = cli(tmp_path, "import", kind, str(path))
        assert "0 loaded" in out.output
    after = {t: table(tmp_path, f"SELECT * FROM {t} ORDER BY ALL") for t in before}
    assert before == after
    # every request file imported; the same request at two dataset revisions is one request with history
    n_files = len(walk([FIXTURES / "requests"]))
    assert table(tmp_path, "SELECT count(*) FROM request_events")[0][0] == n_files
    history = table(tmp_path, "SELECT r.status, list(e.status ORDER BY e.seq) FROM requests r JOIN request_events e "
                              "USING (request_id) WHERE r.model_id = 'Qwen/Qwen2-7B' GROUP BY ALL")
    assert history == [("FINISHED", ["PENDING", "FINISHED"])]


@needs_fixtures
def test_a_malformed_file_is_named_and_the_rest_still_loads(tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copy(next((FIXTURES / "results" / "official").rglob("*.json")), batch / "a_good.json")
    bad = json.loads((batch / "a_good.json").read_text())
    bad["results"]["leaderboard_ifeval"] = "not an object"
    (batch / "b_bad.json").write_text(json.dumps(bad))
    (batch / "c_truncated.json").write_text((batch / "a_good.json").read_text()[:5000])
    home = tmp_path / "home"
    out = cli(home, "import", "results", str(batch))
    assert "1 loaded" in out.output and "2 failed" in out.output
    assert "b_bad.json" in out.output and "leaderboard_ifeval" in out.output
    assert "c_truncated.json" in out.output
    assert table(home, "SELECT count(*) FROM runs") == [(1,)]
    assert table(home, "SELECT count(DISTINCT run_id) FROM scores") == [(1,)]  # nothing half-loaded


@needs_fixtures
def test_a_file_failing_inside_the_database_fails_alone(tmp_path):
    """A batch whose insert fails is redone file by file: only the culprit fails, nothing is half-loaded."""
    data = official_results()
    good = [write_results(tmp_path / "in", f"good{i}", results_variant(data, f"org/good-{i}")) for i in range(3)]
    bad = results_variant(data, "org/bad")
    bad["n-samples"]["leaderboard_ifeval"]["effective"] = 2**70  # a valid number, too large for the column
    culprit = write_results(tmp_path / "in", "culprit", bad)
    home = tmp_path / "home"
    with Writer(home) as w:
        report = w.import_results([good[0], culprit, *good[1:]])
    assert len(report.loaded) == 3 and len(report.errors) == 1 and "culprit.json" in report.errors[0]
    assert table(home, "SELECT count(*), count(DISTINCT model_id) FROM runs") == [(3, 3)]
    assert table(home, "SELECT count(*) FROM runs WHERE model_id = 'org/bad'") == [(0,)]
    assert table(home, "SELECT count(DISTINCT run_id) FROM scores") == [(3,)]
    with Writer(home) as w:
        again = w.import_results([*good, culprit])
    assert len(again.unchanged) == 3 and len(again.errors) == 1


@needs_fixtures
def test_worker_processes_import_like_the_writer_alone(tmp_path, monkeypatch):
    """Parsed in the process pool: the same rows, each bad file fails alone and named, duplicates skipped."""
    from warehouse.importers import results as ingest

    monkeypatch.setattr(ingest, "POOL_MIN_FILES", 1)
    monkeypatch.setattr(ingest, "POOL_CHUNK", 2)
    monkeypatch.setattr(ingest, "BATCH_FILES", 3)
    data = official_results()
    good = [write_results(tmp_path / "in", f"good{i}", results_variant(data, f"org/good-{i}")) for i in range(4)]
    too_big = results_variant(data, "org/bad")
    too_big["n-samples"]["leaderboard_ifeval"]["effective"] = 2**70  # fails inside the database
    culprit = write_results(tmp_path / "in", "culprit", too_big)
    malformed = write_results(tmp_path / "in", "malformed", {**data, "groups": []})  # fails while parsing
    copy = write_results(tmp_path / "in", "copy", results_variant(data, "org/good-0"))  # good0's content
    pooled, alone = tmp_path / "pooled", tmp_path / "alone"
    with Writer(pooled) as w:
        report = w.import_results([good[0], culprit, good[1], malformed, copy, *good[2:]])
    assert sorted(report.loaded) == sorted(map(str, good)) and report.unchanged == [str(copy)]
    assert len(report.errors) == 2 and "culprit.json" in report.errors[0]
    assert "malformed.json" in report.errors[1] and "'groups'" in report.errors[1]
    monkeypatch.setattr(ingest, "IMPORT_WORKERS", 1)
    with Writer(alone) as w:
        w.import_results(good)
    for sql in ("SELECT run_id, model_id, average, raw_file FROM runs ORDER BY run_id",
                "SELECT * FROM scores ORDER BY ALL", "SELECT * FROM benchmark_scores ORDER BY ALL"):
        assert table(pooled, sql) == table(alone, sql)
    (raw_file,) = table(pooled, "SELECT raw_file FROM runs LIMIT 1")[0]
    assert (pooled / raw_file).read_bytes() in {g.read_bytes() for g in good}


@needs_fixtures
def test_a_pooled_reimport_loads_only_the_new_files(tmp_path, monkeypatch):
    """Importing a folder again after adding files: the old ones unchanged (once most of a batch proved old, the
    rest are hashed before parsing), the new ones loaded, a copy of a new one unchanged, a bad one named."""
    from warehouse.importers import results as ingest

    for name, value in (("POOL_MIN_FILES", 1), ("POOL_CHUNK", 2), ("BATCH_FILES", 3), ("FIRST_BATCH_FILES", 2),
                        ("LAST_BATCH_FILES", 2)):
        monkeypatch.setattr(ingest, name, value)
    data = official_results()
    old = [write_results(tmp_path / "in", f"old{i}", results_variant(data, f"org/old-{i}")) for i in range(8)]
    new = [write_results(tmp_path / "in", f"new{i}", results_variant(data, f"org/new-{i}")) for i in range(4)]
    copy = write_results(tmp_path / "in", "new0-copy", results_variant(data, "org/new-0"))
    bad = write_results(tmp_path / "in", "bad", {**data, "groups": []})
    home = tmp_path / "home"
    with Writer(home) as w:
        assert len(w.import_results(old).loaded) == 8
    with Writer(home) as w:
        report = w.import_results([*old[:6], new[0], copy, old[6], new[1], bad, old[7], *new[2:], new[3]])
    assert sorted(report.unchanged) == sorted(map(str, [*old, copy, new[3]]))  # new[3] named twice: loaded once
    assert sorted(report.loaded) == sorted(map(str, new))
    assert len(report.errors) == 1 and "bad.json" in report.errors[0] and report.rows_read == 15
    assert table(home, "SELECT count(*), count(DISTINCT model_id) FROM runs") == [(12, 12)]
    assert table(home, "SELECT count(*) FROM ingested_files") == [(12,)]


@needs_fixtures
def test_the_raw_results_file_stays_retrievable(tmp_path):
    from warehouse.db import raw_path

    src = next((FIXTURES / "results" / "official").rglob("*.json"))
    cli(tmp_path, "import", "results", str(src))
    (raw_file,) = table(tmp_path, "SELECT raw_file FROM runs")[0]
    assert raw_path(tmp_path, raw_file).read_bytes() == src.read_bytes()


@needs_fixtures
def test_a_long_import_publishes_snapshots_as_it_goes(tmp_path, monkeypatch):
    from warehouse.importers import results as ingest

    monkeypatch.setattr(ingest, "BATCH_FILES", 20)
    data = official_results()
    files = [write_results(tmp_path / "in", f"r{i:03d}", results_variant(data, f"org/model-{i:03d}"))
             for i in range(100)]
    home = tmp_path / "home"
    seen = []

    def progress(_):
        seen.append(queries.rankings(home, suite="leaderboard").height if queries.ingest_version(home) else 0)

    with Writer(home, publish_every_s=0) as w:
        report = w.import_results(files, progress=progress)
        assert len(report.loaded) == 100
        assert queries.rankings(home, suite="leaderboard").height == 100  # published before the session ends
    assert seen == sorted(seen) and 0 < seen[50] < 100
    board = queries.rankings(home, suite="leaderboard")
    assert board.height == 100 and board["static_rank"].to_list() == board["rank"].to_list()


@needs_fixtures
def test_incremental_refresh_matches_a_full_rebuild(tmp_path):
    from warehouse import leaderboard

    data = official_results()
    home = tmp_path / "home"
    cli(home, "import", "contents", str(FIXTURES / "contents" / "v2_contents_sample.csv"))
    for i, score in enumerate((0.99, 0.1, 0.5)):  # later sessions: new entries land mid-table and on top
        path = write_results(tmp_path / f"s{i}", "r", results_variant(data, f"org/m{i}", date=1.8e9 + i,
                                                                        ifeval=score))
        with Writer(home) as w:
            w.import_results([path])
    cols = "suite, model_id, precision, run_id, n_runs, average, ci_low, ci_high, flagged, ifeval"
    run_cols = "*"  # every column: the runs_wide rows each session appended are the rows a rebuild makes
    queries_ = {**{t: f"SELECT {cols} FROM {t} ORDER BY ALL" for t in leaderboard.TABLES},
                "runs_wide": f"SELECT {run_cols} FROM runs_wide ORDER BY ALL"}
    incremental = {t: table(home, q) for t, q in queries_.items()}
    assert len(incremental["runs_wide"]) == 253  # the contents' 250 entries and the three new runs
    board = queries.rankings(home, suite="leaderboard", show_flagged=True, columns=["model_id", "precision",
                                                                                    "static_rank"])
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        leaderboard.rebuild(con)
        full = {t: con.sql(q).fetchall() for t, q in queries_.items()}
        ranks = con.sql("SELECT model_id, precision, rank() OVER (ORDER BY average DESC NULLS LAST) FROM leaderboard "
                        "WHERE suite = 'leaderboard' ORDER BY ALL").fetchall()
    assert incremental == full
    # the rank in the whole suite, counted by the reader, is the rank a full rebuild gives
    assert sorted(board.select("model_id", "precision", "static_rank").iter_rows()) == ranks
