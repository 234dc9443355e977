"""The warehouse: imports of the leaderboard's real files, scoring, history, search, export, read path."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from core.settings import SETTINGS
from llmboard.cli import main
from tests.conftest import FIXTURES, REPO
from warehouse import queries
from warehouse.formats import read_contents
from warehouse.ingest import Writer, walk
from warehouse.search import SearchError, parse_search

needs_fixtures = pytest.mark.skipif(not FIXTURES.exists(), reason="../shared/fixtures is not present")


def cli(home, *args):
    result = CliRunner().invoke(main, list(args), env={"LLMBOARD_HOME": str(home)}, catch_exceptions=False)
    return result


def table(home, sql):
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(sql).fetchall()


def test_every_setting_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text()
    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in readme]
    assert not missing, f"settings missing from README: {missing}"


def test_migrations_are_applied_once(tmp_path):
    for _ in range(2):
        with Writer(tmp_path):
            pass
    assert table(tmp_path, "SELECT count(*) FROM schema_migrations") == [(1,)]


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
def test_a_page_is_a_slice_of_the_whole_ranking(tmp_path):
    assert cli(tmp_path, "import", "contents", str(FIXTURES / "contents" / "v2_contents_sample.csv")).exit_code == 0
    data = official_results()
    tied = [write_results(tmp_path / "in", m, results_variant(data, f"zz/{m}")) for m in ("tie-b", "tie-a", "tie-c")]
    incomplete = results_variant(data, "zz/no-ifeval")
    del incomplete["results"]["leaderboard_ifeval"]  # no average: ranked last
    tied.append(write_results(tmp_path / "in", "none", incomplete))
    assert cli(tmp_path, "import", "results", *map(str, tied)).exit_code == 0
    for filters in ({}, {"search": "a; b"}, {"search": "zz/"}, {"precision": "bfloat16"}):
        whole = queries.rankings(tmp_path, suite="leaderboard", **filters)
        assert whole.height > 3
        for offset in (0, 1, whole.height // 2, whole.height - 2, whole.height - 1):
            page = queries.rankings(tmp_path, suite="leaderboard", limit=3, offset=offset, **filters)
            assert page.equals(whole.slice(offset, 3)), (filters, offset)
            shown, total = queries.rankings_page(tmp_path, suite="leaderboard", limit=3, offset=offset, **filters)
            assert shown.equals(page) and total == whole.height == queries.rankings_count(
                tmp_path, suite="leaderboard", **filters)
        picked = queries.rankings(tmp_path, suite="leaderboard", limit=2, columns=["model_id", "ifeval"], **filters)
        assert picked.equals(whole.select("rank", "model_id", "ifeval").head(2))
    ties = queries.rankings(tmp_path, suite="leaderboard", search="zz/")
    assert ties["model_id"].to_list() == ["zz/tie-a", "zz/tie-b", "zz/tie-c", "zz/no-ifeval"]
    assert ties["rank"].to_list() == [1, 1, 1, 4] and ties["average"][3] is None


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
def test_two_runs_of_one_entry_are_one_row(tmp_path):
    src = next((FIXTURES / "results" / "official").rglob("*.json"))
    data = json.loads(src.read_text())
    (tmp_path / "first.json").write_text(json.dumps(data))
    data["date"] = data.get("date", 0) + 86400  # the same model, sha and precision evaluated again a day later
    data["results"]["leaderboard_ifeval"]["prompt_level_strict_acc,none"] = 0.9
    (tmp_path / "second.json").write_text(json.dumps(data))
    home = tmp_path / "home"
    cli(home, "import", "results", str(tmp_path / "first.json"), str(tmp_path / "second.json"))
    board = queries.rankings(home, suite="leaderboard")
    assert board.height == 1 and board["n_runs"].to_list() == [2]
    assert table(home, "SELECT count(*) FROM runs") == [(2,)]
    first_ifeval = table(home, "SELECT normalized FROM benchmark_scores b JOIN runs r USING (run_id) "
                               "WHERE benchmark = 'ifeval' ORDER BY r.finished_at")
    assert board["ifeval"][0] == pytest.approx(first_ifeval[-1][0])  # the latest run is the entry's


@needs_fixtures
def test_search_syntax(tmp_path):
    cli(tmp_path, "import", "contents", str(FIXTURES / "contents" / "v2_contents_sample.csv"))

    def models(q):
        return set(queries.rankings(tmp_path, suite="leaderboard", search=q, show_flagged=True)["model_id"])

    llama, qwen = models("llama"), models("QWEN")
    assert llama and qwen and all("llama" in m.lower() for m in llama)
    assert models("llama; qwen") == llama | qwen  # plain terms are OR'ed
    mit_llama = models("Hub License: mit; llama")
    assert mit_llama == models("llama; Hub License: mit")  # order is irrelevant
    board = queries.rankings(tmp_path, suite="leaderboard", show_flagged=True)
    licenses = dict(zip(board["model_id"], board["license"], strict=False))
    assert mit_llama == {m for m in llama if (licenses[m] or "").lower() == "mit"}
    for weird in ("'; DROP TABLE runs; --", "%", "_", "\\", "Hub License:x;;;", "🦙", "a" * 900):
        queries.rankings(tmp_path, suite="leaderboard", search=weird)  # never a crash
    with pytest.raises(SearchError, match="Hub License"):
        parse_search("Hub License:")
    assert table(tmp_path, "SELECT count(*) FROM runs")[0][0] > 0


@needs_fixtures
def test_export_contents_reads_back_with_the_published_columns(tmp_path):
    src = FIXTURES / "contents" / "v2_contents_sample.csv"
    cli(tmp_path, "import", "contents", str(src))
    for suffix in (".csv", ".parquet"):
        out = tmp_path / f"out{suffix}"
        assert cli(tmp_path, "export", "contents", str(out)).exit_code == 0
        back = read_contents(out)
        original = read_contents(src)
        assert pl.read_csv(src, n_rows=0).columns[1:] == (
            pl.read_csv(out, n_rows=0).columns if suffix == ".csv" else pl.read_parquet(out).columns)
        joined = original.join(back, on=["model", "precision"], suffix="_back")
        assert joined.height == original.height
        assert joined["average"].to_list() == pytest.approx(joined["average_back"].to_list())


@needs_fixtures
def test_queries_succeed_while_an_import_is_writing(tmp_path):
    """A dashboard query issued during a long import succeeds: readers never see the writer's lock."""
    src = json.loads(next((FIXTURES / "results" / "official").rglob("*.json")).read_text())
    files = tmp_path / "many"
    files.mkdir()
    for i in range(300):
        src["model_name"] = f"org/model-{i:04d}"
        src["config"]["model_name"] = f"org/model-{i:04d}"
        (files / f"r{i:04d}.json").write_text(json.dumps(src))
    home = tmp_path / "home"
    cli(home, "import", "results", str(next(files.iterdir())))  # a first snapshot exists
    proc = subprocess.Popen([sys.executable, "-m", "llmboard.cli", "import", "results", str(files)],
                            env={"LLMBOARD_HOME": str(home), "PATH": "/usr/bin:/bin"}, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    answered = 0
    while proc.poll() is None:
        assert queries.rankings(home, suite="leaderboard", limit=10).height >= 1
        answered += 1
    assert proc.returncode == 0, proc.stdout.read()
    assert answered > 0
    assert queries.rankings(home, suite="leaderboard").height == 300


def official_results() -> dict:
    return json.loads(next((FIXTURES / "results" / "official").rglob("*.json")).read_text())


def results_variant(data: dict, model: str, *, sha: str = "a" * 40, precision: str = "bfloat16",
                    date: float | None = None, ifeval: float | None = None) -> dict:
    """The official results file as if another model, sha or precision had been evaluated."""
    data = json.loads(json.dumps(data))
    data["model_name"] = data["config"]["model_name"] = model
    data["config"]["model_sha"] = data["config"]["model_revision"] = sha
    data["config"]["model_dtype"] = precision
    if date is not None:
        data["date"] = date
    if ifeval is not None:
        data["results"]["leaderboard_ifeval"]["prompt_level_strict_acc,none"] = ifeval
    return data


def write_results(folder, name: str, data: dict):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


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
    from warehouse import ingest

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
def test_the_raw_results_file_stays_retrievable(tmp_path):
    from warehouse.db import raw_path

    src = next((FIXTURES / "results" / "official").rglob("*.json"))
    cli(tmp_path, "import", "results", str(src))
    (raw_file,) = table(tmp_path, "SELECT raw_file FROM runs")[0]
    assert raw_path(tmp_path, raw_file).read_bytes() == src.read_bytes()


@needs_fixtures
def test_a_long_import_publishes_snapshots_as_it_goes(tmp_path, monkeypatch):
    from warehouse import ingest

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
    cols = "suite, model_id, precision, run_id, n_runs, average, static_rank, flagged, ifeval"
    run_cols = "run_id, model_id, precision, sha, run_at, ingested_at, average, ifeval, ifeval_raw, bbh, gpqa"
    queries_ = {**{t: f"SELECT {cols} FROM {t} ORDER BY ALL" for t in leaderboard.TABLES},
                "runs_wide": f"SELECT {run_cols} FROM runs_wide ORDER BY ALL"}
    incremental = {t: table(home, q) for t, q in queries_.items()}
    assert len(incremental["runs_wide"]) == 253  # the contents' 250 entries and the three new runs
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        leaderboard.rebuild(con)
        full = {t: con.sql(q).fetchall() for t, q in queries_.items()}
    assert incremental == full


@needs_fixtures
def test_sha_history_keeps_commits_in_order_and_reruns_apart(tmp_path):
    data = official_results()
    runs = [("1" * 40, 1.70e9, 0.5), ("2" * 40, 1.71e9, 0.6), ("1" * 40, 1.72e9, 0.7), ("3" * 40, 1.73e9, 0.8)]
    paths = [write_results(tmp_path / "in", f"r{i}", results_variant(data, "org/m", sha=sha, date=date, ifeval=v))
             for i, (sha, date, v) in enumerate(runs)]
    paths.append(write_results(tmp_path / "in", "q", results_variant(data, "org/m", precision="4bit")))
    home = tmp_path / "home"
    cli(home, "import", "results", *map(str, paths))
    history = queries.sha_history(home, "org/m", "bfloat16")
    assert history["short_sha"].to_list() == ["1111111", "1111111", "2222222", "3333333"]
    assert history["rerun"].to_list() == [1, 2, 1, 1]
    v = history["ifeval"].to_list()
    assert v[0] < v[2] < v[1] < v[3]  # 0.5 (sha 1), 0.7 (sha 1 again), 0.6 (sha 2), 0.8 (sha 3)
    first, rerun = history.row(0, named=True), history.row(1, named=True)
    assert first["run_id"] != rerun["run_id"] and first["finished_at"] < rerun["finished_at"]
    assert {"bbh", "gpqa", "average", "sha"} <= set(history.columns)
    assert queries.sha_history(home, "org/none", "bfloat16").height == 0


@needs_fixtures
def test_quantization_comparison_against_the_highest_precision(tmp_path):
    data = official_results()
    home = tmp_path / "home"
    variants = [("bfloat16", 0.6, "1" * 40, 1.70e9), ("4bit", 0.5, "1" * 40, 1.71e9), ("8bit", 0.55, "1" * 40, 1.72e9),
                ("4bit", 0.45, "1" * 40, 1.73e9),  # the latest 4bit run counts
                ("float32", 0.9, "0" * 40, 1.60e9)]  # another (older) sha: not compared by default
    paths = [write_results(tmp_path / "in", f"r{i}", results_variant(data, "org/m", sha=sha, precision=p, ifeval=v,
                                                                     date=d))
             for i, (p, v, sha, d) in enumerate(variants)]
    cli(home, "import", "results", *map(str, paths))
    cmp = queries.quantization_comparison(home, "org/m")
    ifeval = cmp.filter(pl.col("benchmark") == "ifeval")
    assert ifeval["precision"].to_list() == ["bfloat16", "8bit", "4bit"]
    assert set(cmp["reference_precision"]) == {"bfloat16"} and set(cmp["sha"]) == {"1" * 40}
    by = dict(zip(ifeval["precision"], ifeval["delta"], strict=True))
    assert by["bfloat16"] == 0
    assert by["4bit"] == pytest.approx((0.45 - 0.6) / 2 * 100)  # IFEval: mean of two metrics
    assert by["8bit"] == pytest.approx((0.55 - 0.6) / 2 * 100)
    assert cmp["benchmark"].unique(maintain_order=True).to_list()[-1] == "average"
    older = queries.quantization_comparison(home, "org/m", sha="0" * 40)
    assert set(older["precision"]) == {"float32"} and set(older["delta"]) == {0.0}


def test_every_dashboard_query_is_on_the_cli_with_json(tmp_path):
    from tests.fixture_warehouse import QUANTIZED_MODEL, RERUN, build_fixture_warehouse

    fx = build_fixture_warehouse(tmp_path, real=False)
    model, _, precision = RERUN
    history = json.loads(cli(tmp_path, "history", model, "--precision", precision, "--json").output)
    assert history == json.loads(json.dumps(queries.sha_history(tmp_path, model, precision).to_dicts(), default=str))
    assert [h["rerun"] for h in history].count(2) == 1  # the re-run of one sha is its own row

    quant = json.loads(cli(tmp_path, "quantization", QUANTIZED_MODEL, "--json").output)
    assert {q["precision"] for q in quant} == {"float32", "bfloat16", "float16", "8bit", "4bit", "gguf"}

    detail = json.loads(cli(tmp_path, "model", model, "--json").output)
    assert detail["model"]["model_id"] == model and len(detail["runs"]) == queries.model_runs(tmp_path, model).height
    run_id = next(r["run_id"] for r in detail["runs"] if r["samples_file"])
    wrong = json.loads(cli(tmp_path, "samples", run_id, "--incorrect", "--limit", "1000", "--json").output)
    every = json.loads(cli(tmp_path, "samples", run_id, "--limit", "1000", "--json").output)
    assert wrong and all(not s["correct"] for s in wrong) and len(wrong) < len(every)

    failed = json.loads(cli(tmp_path, "status", "--status", "failed", "--json").output)
    assert [r["request_id"] for r in failed] == [fx.requests["FAILED"]]

    missing = cli(tmp_path, "model", "nobody/nothing")
    assert missing.exit_code != 0 and "model: 'nobody/nothing' is not in the warehouse" in missing.output


@needs_fixtures
def test_a_query_running_on_an_older_snapshot_survives_a_newer_publish(tmp_path):
    """Another dashboard session (thread) moving the shared reader to a new snapshot must not close the
    snapshot a running query is reading."""
    from warehouse.read import reader

    data = official_results()
    home = tmp_path / "home"
    cli(home, "import", "results", str(write_results(tmp_path / "in", "a", results_variant(data, "org/a"))))
    shared = reader(home)
    with shared.pinned() as cur:
        assert cur.sql("SELECT count(*) FROM leaderboard").fetchall() == [(1,)]
        cli(home, "import", "results", str(write_results(tmp_path / "in", "b", results_variant(data, "org/b"))))
        assert queries.rankings_count(home) == 2  # the shared reader now reads the newer snapshot
        assert cur.sql("SELECT count(*) FROM leaderboard").fetchall() == [(1,)]  # still its own snapshot
    assert queries.rankings_count(home) == 2
