"""The contents importer against generated tables (hypothesis): real rows of the published table with their
cells replaced by the values the published schema allows and the oddities real files hold (flagged, merged,
MoE, not on the hub, missing or non-numeric scores, empty and odd licenses, repeated rows, unknown columns,
a renamed column), as CSV or Parquet. Importing never raises, every row read is loaded or quarantined, a
row with a bad value is quarantined (naming its column) and importing again changes nothing."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES
from tests.warehouse_files import needs_fixtures, table
from warehouse.formats import CONTENTS_COLUMNS
from warehouse.ingest import Writer

SAMPLE = FIXTURES / "contents" / "v2_contents_sample.csv"
SCORES = [c for c, ours in CONTENTS_COLUMNS.items() if ours and ours.split("_raw")[0] in
          ("ifeval", "bbh", "math", "gpqa", "musr", "mmlu_pro", "average")]
FLAGS = ["Flagged", "Merged", "MoE", "Available on the hub", "Chat Template", "Official Providers"]
# column -> (values a row may hold and load, values that keep the row from loading)
CELLS: dict[str, tuple[list[str | None], list[str]]] = {
    **{c: (["True", "False", "true", "false", "1", "0", "", None], ["yes", "maybe"]) for c in FLAGS},
    **{c: (["0", "12.5", "99.99", "1e-3", "", None, "nan", " 7 "], ["N/A", "inf", "1,5", "-1e400", "12%"])
       for c in SCORES},
    "Hub License": (["", None, "other", "apache-2.0", "Ünïcödé licence ✓", "None", "x" * 300, "mit; gpl"], []),
    "Hub ❤️": (["0", "12", "3.0", "", None], ["1e12", "-3", "3.5", "lots"]),
    "#Params (B)": (["0", "7.24", "", None, "0.0001"], ["7B", "∞"]),
    "fullname": (["org/ünïcode-model", "a/b", "org/" + "m" * 200], ["", "   "]),
    "Precision": (["bfloat16", "float16", "4bit", "", None, "weird"], []),
    "Submission Date": (["2024-06-09", "2024-06-09T21:55:05Z", "", None], ["2024-13-45", "yesterday"]),
    "Base Model": (["", None, "org/base", "🤖"], []),
}
RENAMABLE = ["Hub License", "MoE", "Average ⬆️", "IFEval", "Official Providers", "fullname"]
REQUIRED = {"fullname", "Average ⬆️", "IFEval", "Precision"}  # a sample of the required ones


@st.composite
def contents_tables(draw):
    """(the table as text, the 0-based rows holding a bad value, the suffix to write it with)."""
    base = pl.read_csv(SAMPLE, infer_schema_length=0)
    picks = draw(st.lists(st.integers(0, base.height - 1), min_size=1, max_size=6, unique=True))
    frame = base[picks]
    bad_cells: dict[tuple[int, str], bool] = {}
    cells = {c: frame[c].to_list() for c in frame.columns}
    for row, column in draw(st.lists(st.tuples(st.integers(0, frame.height - 1), st.sampled_from(sorted(CELLS))),
                                     max_size=10)):
        good, bad = CELLS[column]
        cells[column][row] = value = draw(st.sampled_from(good + bad))
        bad_cells[row, column] = value in bad
    renamed = draw(st.none() | st.sampled_from(RENAMABLE))  # a renamed column is unknown: its values unread
    bad_rows = {row for (row, column), bad in bad_cells.items() if bad and column != renamed}
    frame = pl.DataFrame(cells, schema={c: pl.String for c in cells})
    repeats = draw(st.lists(st.integers(0, frame.height - 1), max_size=2))
    frame = pl.concat([frame, *(frame[r:r + 1] for r in repeats)])
    bad_rows |= {frame.height - len(repeats) + i for i, r in enumerate(repeats) if r in bad_rows}
    for name in draw(st.lists(st.sampled_from(["Notes", "Hub ❤️ (old)", "extra"]), max_size=2, unique=True)):
        frame = frame.with_columns(pl.lit(draw(st.sampled_from(["", "x", "1"]))).alias(name))
    if renamed:
        frame = frame.rename({renamed: renamed + " (renamed)"})
        if renamed in REQUIRED:
            bad_rows = set(range(frame.height))
    return frame, bad_rows, draw(st.sampled_from([".csv", ".parquet"]))


def everything(home: Path) -> dict:
    return {t: table(home, f"SELECT * FROM {t} ORDER BY ALL")
            for t in ("runs", "benchmark_scores", "models", "flags", "quarantine", "ingested_files")}


@pytest.mark.slow  # ~2 s an example: two writer sessions, each publishing a snapshot
@needs_fixtures
@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(contents_tables())
def test_any_contents_table_loads_row_by_row(case):
    frame, bad_rows, suffix = case
    with tempfile.TemporaryDirectory() as tmp:
        src, home = Path(tmp) / f"contents{suffix}", Path(tmp) / "home"
        frame.write_csv(src) if suffix == ".csv" else frame.write_parquet(src)
        with Writer(home) as w:
            report = w.import_contents(src)
        rows = report.as_json()["rows"]
        assert rows["read"] == frame.height and rows["unchanged"] == 0
        assert rows["loaded"] + rows["quarantined"] == rows["read"]
        assert table(home, "SELECT count(*) FROM runs") == [(rows["loaded"],)]
        assert table(home, "SELECT count(*) FROM quarantine") == [(rows["quarantined"],)]
        quarantined = {q.row_number - 1: q.reason for q in report.quarantined}
        assert bad_rows <= set(quarantined)
        for row, reason in quarantined.items():  # a row set aside had a bad value, or repeats an earlier one
            assert row in bad_rows or reason.startswith("repeats row"), (row, reason)
            assert reason.startswith(("field '", "repeats row")) and "aborted" not in reason
        assert len(report.errors) == rows["quarantined"] and all(str(src) in e for e in report.errors)
        before = everything(home)
        with Writer(home) as w:
            again = w.import_contents(src)
        assert again.unchanged == [str(src)] and everything(home) == before


def test_cells_cover_the_varieties():
    """The generator's vocabulary reaches every kind of column the published schema has."""
    kinds = {CONTENTS_COLUMNS[c] for c in CELLS}
    assert {"flagged", "merged", "moe", "available_on_hub", "license", "average", "hub_hearts"} <= kinds
    assert all(v is None or isinstance(v, str) for v in itertools.chain.from_iterable(g + b for g, b in
                                                                                    CELLS.values()))
