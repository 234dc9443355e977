"""The warehouse's queries (rankings pages, search, history, quantization, export, the CLI's --json) and
its read path (queries while an import writes, a query on an older snapshot)."""

from __future__ import annotations

import json
import subprocess
import sys

import polars as pl
import pytest

from tests.conftest import FIXTURES, REPO
from tests.warehouse_files import cli, needs_fixtures, official_results, results_variant, table, write_results
from warehouse import queries
from warehouse.formats import read_contents
from warehouse.search import SearchError, parse_search


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
