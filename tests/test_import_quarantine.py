"""Importers survive the leaderboard's real files: flagged rows load, a row or file that cannot be loaded is
quarantined with its first cause (file and row named) while the rest loads, `--json` lists it, importing
again changes nothing, and an exported contents table imports back."""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest

from tests.conftest import FIXTURES
from tests.fixture_warehouse import build_fixture_warehouse
from tests.warehouse_files import cli, needs_fixtures, official_results, results_variant, table, write_results
from warehouse import queries
from warehouse.formats import read_contents
from warehouse.importers.contents import ContentsImport
from warehouse.importers.quarantine import commit_isolating
from warehouse.ingest import Writer
from warehouse.rows import Frames, IngestedFileRow, Load, RunRow, RunScoreRow

SAMPLE = FIXTURES / "contents" / "v2_contents_sample.csv"
STATE = ("runs", "benchmark_scores", "models", "flags", "quarantine", "ingested_files", "requests", "request_events")


def sample_text() -> pl.DataFrame:
    return pl.read_csv(SAMPLE, infer_schema_length=0)


def set_cells(frame: pl.DataFrame, column: str, values: dict[int, str]) -> pl.DataFrame:
    """The frame with ``column``'s value replaced in the rows named (0-based)."""
    cells = frame[column].to_list()
    for i, v in values.items():
        cells[i] = v
    return frame.with_columns(pl.Series(column, cells, dtype=pl.String))


def state(home) -> dict:
    return {t: table(home, f"SELECT * FROM {t} ORDER BY ALL") for t in STATE}


@needs_fixtures
def test_flagged_rows_load_and_their_models_are_flagged(tmp_path):
    flagged = {3: "True", 17: "true", 200: "True"}
    src = tmp_path / "flagged.csv"
    set_cells(sample_text(), "Flagged", flagged).write_csv(src)
    out = cli(tmp_path / "home", "import", "contents", str(src))
    assert out.exit_code == 0, out.output
    assert "rows: 250 loaded, 0 unchanged, 0 quarantined" in out.output
    assert "aborted" not in out.output
    models = {read_contents(src)["model"][i] for i in flagged}
    assert {r[0] for r in table(tmp_path / "home", "SELECT model_id FROM flags WHERE author = 'import'")} == models
    assert queries.rankings(tmp_path / "home", suite="leaderboard", show_flagged=True).height == 250


def test_an_offline_suite_export_imports_back(tmp_path):
    """The reported round trip: `export contents --suite offline` wrote the flagged model's row as Flagged."""
    fixture = build_fixture_warehouse(tmp_path / "source", real=False)
    for suffix in (".csv", ".parquet"):
        out = tmp_path / f"offline{suffix}"
        assert cli(fixture.home, "export", "contents", str(out), "--suite", "offline").exit_code == 0
        home = tmp_path / f"back{suffix}"
        result = cli(home, "import", "contents", str(out), "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        exported = read_contents(out)
        assert report["rows"] == {"read": exported.height, "loaded": exported.height, "unchanged": 0,
                                  "quarantined": 0}
        assert report["quarantined"] == [] and report["errors"] == []
        back = queries.rankings(home, suite="leaderboard", show_flagged=True)
        joined = exported.join(back, left_on=["model", "precision"], right_on=["model_id", "precision"])
        assert joined.height == exported.height
        assert joined["average"].to_list() == pytest.approx(joined["average_right"].to_list())
        flagged = set(exported.filter(pl.col("flagged"))["model"])  # the flagged model, as the warehouse says
        assert {r[0] for r in table(home, "SELECT model_id FROM flags WHERE author = 'import'")} == flagged


@needs_fixtures
def test_bad_rows_are_quarantined_and_the_rest_loads(tmp_path):
    frame = set_cells(sample_text(), "GPQA", {4: "n/a"})
    frame = set_cells(frame, "fullname", {9: ""})
    frame = set_cells(frame, "Hub ❤️", {11: "1e12"})
    frame = pl.concat([frame, frame[20:21]])  # row 251 repeats row 21
    src = tmp_path / "contents.csv"
    frame.write_csv(src)
    home = tmp_path / "home"
    out = cli(home, "import", "contents", str(src), "--json")
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["rows"] == {"read": 251, "loaded": 247, "unchanged": 0, "quarantined": 4}
    reasons = {q["row"]: q["reason"] for q in report["quarantined"]}
    assert set(reasons) == {5, 10, 12, 251}
    assert "'GPQA'" in reasons[5] and "'n/a'" in reasons[5] and "a finite number" in reasons[5]
    assert "'fullname'" in reasons[10] and "'Hub ❤️'" in reasons[12] and reasons[251] == "repeats row 21"
    assert all(str(src) in e for e in report["errors"]) and any("row 5 (" in e for e in report["errors"])
    assert table(home, "SELECT count(*) FROM runs") == [(247,)]
    kept = table(home, "SELECT row_number, raw FROM quarantine WHERE row_number = 5")
    assert json.loads(kept[0][1])["GPQA"] == "n/a" and json.loads(kept[0][1])["fullname"] == frame["fullname"][4]
    by_file = queries.quarantine_by_file(home)
    assert by_file.select("kind", "source_file", "rows").rows() == [("contents", str(src), 4)]
    before = state(home)
    again = cli(home, "import", "contents", str(src))
    assert "0 loaded, 1 unchanged" in again.output and state(home) == before
    # the file fixed at the same path: the fixed rows load, and its entries are what still fails
    set_cells(frame, "GPQA", {4: "12.5"}).write_csv(src)
    fixed = json.loads(cli(home, "import", "contents", str(src), "--json").stdout)
    assert fixed["rows"] == {"read": 251, "loaded": 1, "unchanged": 247, "quarantined": 3}
    assert sorted(r[0] for r in table(home, "SELECT row_number FROM quarantine")) == [10, 12, 251]


@needs_fixtures
def test_a_missing_column_quarantines_each_row_and_unknown_columns_are_noted(tmp_path):
    src = tmp_path / "renamed.csv"
    sample_text().head(5).rename({"Average ⬆️": "Average", "MoE": "Mixture of experts"}).write_csv(src)
    out = cli(tmp_path / "home", "import", "contents", str(src))
    assert out.exit_code == 1  # nothing loaded
    assert "field 'Average ⬆️': column missing (renamed?)" in out.output
    assert "Average, Mixture of experts" in out.output  # the columns it did not know
    assert table(tmp_path / "home", "SELECT count(*), count(DISTINCT row_number) FROM quarantine") == [(5, 5)]


@needs_fixtures
def test_a_row_the_database_refuses_is_quarantined_with_the_first_cause(tmp_path):
    """Checked rows never reach this; should one still fail, the batch is halved until it stands alone."""
    src = tmp_path / "contents.csv"
    sample_text().head(40).write_csv(src)
    home = tmp_path / "home"
    with Writer(home) as w:
        from warehouse.formats import read_contents_table
        from warehouse.importers.source_files import content_sha

        job = ContentsImport(w, src, content_sha(src.read_bytes()), read_contents_table(src))
        job.sort_rows()
        culprit = job.loads[7]
        culprit.runs[0] = culprit.runs[0]._replace(model_id=None)  # runs.model_id is NOT NULL
        job.commit()
    report = job.report
    assert (report.rows_read, report.rows_loaded, len(report.quarantined)) == (40, 39, 1)
    (entry,) = report.quarantined
    assert entry.row_number == 8 and entry.reason.startswith("not stored: Constraint Error")
    assert "NOT NULL" in entry.reason and "aborted" not in entry.reason
    assert report.errors == [f"{src}: row 8 ({entry.row_key}): {entry.reason}"]
    assert table(home, "SELECT count(*) FROM runs") == [(39,)]
    assert table(home, "SELECT count(*) FROM ingested_files") == [(1,)]


@pytest.mark.parametrize("framed", [0, 1, 5], ids=["loads", "frames-of-1", "frames-of-5"])
def test_commit_isolating_names_the_failing_loads_and_commits_the_others(tmp_path, framed):
    """Plain Loads, or files grouped as Frames (an import's workers send them): a Frames whose transaction
    fails is split until each failing file stands alone, and every other file's rows are committed."""
    def load(i: int, model: str | None) -> Load:
        run = RunRow(f"r{i}", None, model, None, "float16", None, None, None, "offline", None, None, None, None,
                     None, None, None, None, None, None, 50.0, "contents", None, None, None, None, None)
        score = RunScoreRow(f"r{i}", None, "task", "acc", "none", 0.5, None, 10, None)
        return Load(f"load {i}", runs=[run], scores=[score] * (i % 3),
                    seen=[IngestedFileRow(f"sha{i}", "results", f"load {i}")])

    loads = [load(i, None if i in (3, 12) else f"org/m{i}") for i in range(16)]
    if framed:
        loads = [Frames.of(loads[i:i + framed]) for i in range(0, len(loads), framed)]
    with Writer(tmp_path) as w:
        with pytest.raises(Exception, match="NOT NULL") as raised:  # the plain commit: the first error, raised
            w.commit_loads(loads)
        assert "aborted" not in str(raised.value)
        failed = commit_isolating(w, loads)
    assert list(failed) == ["load 3", "load 12"] and all("NOT NULL" in m for m in failed.values())
    assert table(tmp_path, "SELECT count(*) FROM runs") == [(14,)]
    kept = [i for i in range(16) if i not in (3, 12)]
    assert table(tmp_path, "SELECT run_id, count(*) FROM scores GROUP BY run_id ORDER BY run_id") == sorted(
        (f"r{i}", i % 3) for i in kept if i % 3)
    assert table(tmp_path, "SELECT path FROM ingested_files ORDER BY path") == sorted((f"load {i}",) for i in kept)


@needs_fixtures
def test_unparseable_request_and_results_files_are_quarantined_alone(tmp_path):
    requests = tmp_path / "requests"
    shutil.copytree(FIXTURES / "requests", requests)
    bad_request = requests / "org" / "broken_eval_request_False_bfloat16_Original.json"
    bad_request.parent.mkdir()
    bad_request.write_text('{"model": "org/broken", "precision": ')
    results = tmp_path / "results"
    good = write_results(results, "good", results_variant(official_results(), "org/good"))
    bad_results = write_results(results, "bad", {**official_results(), "groups": []})
    home = tmp_path / "home"
    n_requests = sum(1 for _ in requests.rglob("*.json"))
    for kind, folder, bad, loaded in (("requests", requests, bad_request, n_requests - 1),
                                      ("results", results, bad_results, 1)):
        out = cli(home, "import", kind, str(folder), "--json")
        assert out.exit_code == 0, out.output
        report = json.loads(out.stdout)
        assert report["rows"]["loaded"] == loaded and report["rows"]["quarantined"] == 1
        assert report["files"]["failed"] == [str(bad)] and report["quarantined"][0]["row"] is None
        assert report["errors"][0].startswith(str(bad))
    kept = dict(table(home, "SELECT kind, raw_file FROM quarantine"))
    assert (home / kept["results"]).read_bytes() == bad_results.read_bytes()
    assert (home / kept["request"]).read_bytes() == bad_request.read_bytes()
    before = state(home)
    for kind, folder in (("requests", requests), ("results", results)):
        cli(home, "import", kind, str(folder))
    assert state(home) == before
    write_results(results, "bad", results_variant(official_results(), "org/fixed"))  # fixed at the same path
    assert "1 loaded, 1 unchanged, 0 failed" in cli(home, "import", "results", str(results)).output
    assert table(home, "SELECT kind FROM quarantine") == [("request",)]
    assert {r[0] for r in table(home, "SELECT source_file FROM runs")} == {str(good), str(bad_results)}


@needs_fixtures
def test_the_about_page_lists_quarantined_rows_per_file(tmp_path, monkeypatch):
    import streamlit as st

    from tests.dashboard_app import page

    src = tmp_path / "contents.csv"
    set_cells(sample_text().head(6), "MUSR", {1: "twelve", 4: "?"}).write_csv(src)
    home = tmp_path / "home"
    cli(home, "import", "contents", str(src))
    monkeypatch.setenv("LLMBOARD_HOME", str(home))
    st.cache_data.clear()
    at = page("about")
    by_file = at.dataframe[0].value
    assert list(by_file["source_file"]) == [str(src)] and list(by_file["rows"]) == [2]
    rows = at.dataframe[1].value
    assert list(rows["row_number"]) == [2, 5] and all("'MUSR'" in r for r in rows["reason"])
