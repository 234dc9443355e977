"""The leaderboard page under AppTest, against the fixture warehouse: filters, search, columns, pins,
downloads, and a new result showing without a restart."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import polars as pl
import pytest
import streamlit as st

from dashboard.views import DEFAULT_COLUMNS, leaderboard_view, view_csv, view_parquet
from tests.dashboard_app import bar_chart, offline_board, page, table, widget
from tests.fixture_warehouse import (
    COMMITS,
    FLAGGED_MODEL,
    MODELS,
    REAL,
    build_fixture_warehouse,
    results_json,
    sha_of,
)
from warehouse import queries

pytest_plugins = ["tests.dashboard_fixtures"]


def test_leaderboard_default_view_matches_the_warehouse(home):
    at = page("leaderboard")
    df = table(at)
    expected = offline_board(home)
    assert FLAGGED_MODEL not in set(df["Model"]), "flagged models are hidden by default"
    assert len(df) == expected.height == 12
    assert df["Model"].tolist() == expected["model_id"].to_list()
    assert df["Average ⬆️"].tolist() == pytest.approx(expected["average"].to_list())
    assert df["Rank"].tolist() == sorted(df["Rank"].tolist()) and df["Rank"].iloc[0] == 1
    benches = ["IFEval", "BBH", "MATH Lvl 5", "GPQA", "MUSR", "MMLU-PRO"]
    assert df[benches].mean(axis=1).tolist() == pytest.approx(df["Average ⬆️"].tolist())
    assert df["Details"].iloc[0] == f"model?model={df['Model'].iloc[0]}"
    spec, bars = bar_chart(at)
    assert spec["mark"]["type"] == "bar" and spec["encoding"]["y"]["field"] == "Entry"
    assert [b["Average ⬆️"] for b in bars] == pytest.approx(df["Average ⬆️"].head(len(bars)).tolist())
    assert bars[0]["Entry"] == f"{df['Model'].iloc[0]} ({df['Precision'].iloc[0]})" and len(bars) == 12
    widget(at.slider, "Top N in the chart").set_value(5).run()
    assert len(bar_chart(at)[1]) == 5 and bar_chart(at)[0]["title"] == "Top 5 by average"


def test_category_precision_license_and_size_filters(home):
    at = page("leaderboard")
    widget(at.selectbox, "Category").set_value("chat").run()
    assert set(table(at)["Model"]) == {"demo/chat-mistral"} and set(table(at)["Type"]) == {"chat"}
    assert table(at)["Rank"].tolist() == [1, 2, 3], "rank is recomputed within the filter"
    widget(at.radio, "Rank").set_value("static").run()
    static = offline_board(home, category="chat")["static_rank"].to_list()
    assert table(at)["Rank"].tolist() == static and static[0] == 1

    at = page("leaderboard")
    widget(at.selectbox, "Precision").set_value("4bit").run()
    assert set(table(at)["Precision"]) == {"4bit"} and len(table(at)) == 2
    at = page("leaderboard")
    widget(at.selectbox, "License").set_value("mit").run()
    assert set(table(at)["Model"]) == {"demo/chat-mistral"}  # the other mit model is flagged
    at = page("leaderboard")
    widget(at.slider, "#Params (B)").set_value((5.0, 20.0)).run()
    assert set(table(at)["Model"]) == {"demo/chat-mistral", "demo/merge-frank"}
    assert all(5.0 <= p <= 20.0 for p in table(at)["#Params (B)"])


def test_flagged_merged_and_moe_toggles(home):
    at = page("leaderboard")
    widget(at.toggle, "Show flagged").set_value(True).run()
    assert FLAGGED_MODEL in set(table(at)["Model"]) and len(table(at)) == 13
    at = page("leaderboard")
    widget(at.toggle, "Show merges").set_value(False).run()
    assert "demo/merge-frank" not in set(table(at)["Model"])
    widget(at.toggle, "Show MoE").set_value(False).run()
    assert "acme/moe-8x" not in set(table(at)["Model"]) and len(table(at)) == 10


@pytest.mark.parametrize(("query", "models"), [
    ("tiny; MOE", {"demo/tiny-llama", "acme/moe-8x"}),
    ("Hub License: apache-2.0", {"demo/tiny-llama", "demo/ft-qwen"}),
    ("qwen; Hub License: apache-2.0", {"demo/ft-qwen"}),
    ("Hub License: apache-2.0; qwen", {"demo/ft-qwen"}),
])
def test_search_syntax(home, query, models):
    at = page("leaderboard")
    widget(at.text_input, "Search").input(query).run()
    assert set(table(at)["Model"]) == models


def test_bad_search_is_a_message_and_no_match_says_so(home):
    at = page("leaderboard")
    widget(at.text_input, "Search").input("Hub License:").run()
    assert not at.exception and "Hub License" in at.error[0].value
    widget(at.text_input, "Search").input("no-such-model").run()
    assert not at.exception and "No model matches" in at.info[0].value


def test_benchmark_subset_raw_scores_and_columns(home):
    at = page("leaderboard")
    widget(at.multiselect, "Benchmarks (the average covers these only)").set_value(["bbh", "math"]).run()
    df = table(at)
    assert "IFEval" not in df.columns
    assert df["Average ⬆️"].tolist() == pytest.approx(((df["BBH"] + df["MATH Lvl 5"]) / 2).tolist())
    assert df["Average ⬆️"].tolist() == sorted(df["Average ⬆️"].tolist(), reverse=True)
    widget(at.toggle, "Raw scores").set_value(True).run()
    df = table(at)
    raw = {(m, p): v * 100 for m, p, v in offline_board(home).select("model_id", "precision", "bbh_raw").iter_rows()}
    assert df["BBH Raw"].tolist() == pytest.approx([raw[(m, p)] for m, p in zip(df["Model"], df["Precision"], strict=True)])
    widget(at.multiselect, "Columns").set_value(["precision", "sha", "n_runs"]).run()
    df = table(at)
    assert {"Model sha", "Runs", "Precision"} <= set(df.columns) and "Hub License" not in df.columns
    assert df["Model sha"].str.len().eq(40).all()


def test_pinned_models_stay_on_top(home):
    at = page("leaderboard")
    widget(at.selectbox, "Category").set_value("chat").run()
    widget(at.multiselect, "📌 Pinned models (stay on top)").set_value(["demo/ft-qwen"]).run()
    df = table(at)
    assert df["Model"].iloc[0] == "demo/ft-qwen" and df["📌"].iloc[0]
    assert set(df["Model"].iloc[1:]) == {"demo/chat-mistral"}
    assert df["Rank"].isna().iloc[0] and df["Rank"].iloc[1:].tolist() == [1, 2, 3], "ranks count the filter only"
    # options are the models in the table plus the pins; any other id can be typed
    assert set(widget(at.multiselect, "📌 Pinned models (stay on top)").options) == {"demo/ft-qwen", "demo/chat-mistral"}
    widget(at.multiselect, "📌 Pinned models (stay on top)").set_value(["demo/ft-qwen", "nobody/nothing"]).run()
    assert not at.exception and "nobody/nothing" in at.warning[0].value
    assert table(at)["Model"].iloc[0] == "demo/ft-qwen"


@pytest.mark.skipif(not REAL.exists(), reason="../shared/fixtures is not present")
def test_other_suite_shows_the_imported_leaderboard(home):
    at = page("leaderboard")
    widget(at.selectbox, "Suite").set_value("leaderboard").run()
    expected = queries.rankings(home, suite="leaderboard")
    assert len(table(at)) == expected.height > 200
    assert table(at)["Model"].iloc[0] == expected["model_id"][0]


def test_downloads_hold_the_current_view(home):
    at = page("leaderboard")
    widget(at.selectbox, "Category").set_value("merge").run()
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["Download CSV", "Download Parquet"]
    # the files are built when a button is clicked (the browser test downloads one); their content:
    board = offline_board(home, category="merge")
    view = leaderboard_view(board, queries.benchmark_columns("offline"), columns=DEFAULT_COLUMNS)
    csv = pl.read_csv(io.BytesIO(view_csv(view)))
    parquet = pl.read_parquet(io.BytesIO(view_parquet(view)))
    assert csv["Model"].to_list() == parquet["Model"].to_list() == table(at)["Model"].tolist()
    assert "Details" not in csv.columns and parquet["Average ⬆️"].to_list() == pytest.approx(
        table(at)["Average ⬆️"].tolist())


def test_a_new_result_shows_without_restart(tmp_path, monkeypatch):
    home = tmp_path / "home"
    build_fixture_warehouse(home, real=False)
    monkeypatch.setenv("LLMBOARD_HOME", str(home))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = page("leaderboard")
    before = len(table(at))
    from warehouse.ingest import Writer

    # a new, near-perfect run of the last-ranked model's latest commit, imported while the page is open
    last = queries.rankings(home).row(-1, named=True)
    assert last["model_id"] == "demo/ft-qwen"
    new = results_json("demo/ft-qwen", sha_of("demo/ft-qwen", COMMITS - 1), last["precision"], 9,
                       datetime(2026, 1, 1, tzinfo=UTC))
    for metrics in new["results"].values():
        metrics.update({k: 0.99 for k, v in metrics.items() if isinstance(v, float) and "stderr" not in k})
    (tmp_path / "new.json").write_text(json.dumps(new))
    with Writer(home, wait_message=None) as w:
        assert w.import_results([tmp_path / "new.json"]).loaded
    at.run()
    assert len(table(at)) == before and table(at)["Model"].iloc[0] == "demo/ft-qwen"


def test_fixture_models_all_reach_the_board(home):
    assert set(offline_board(home, show_flagged=True)["model_id"]) == set(MODELS)


def test_each_row_shows_its_interval_and_rank_range_and_ties_can_be_grouped(home):
    at = page("leaderboard")
    shown = table(at).to_dict("records")
    board = offline_board(home)
    ranked = queries.with_rank_ranges(home, queries.rankings(home, suite="offline"), suite="offline")
    ranges = {r["run_id"]: r for r in ranked.iter_rows(named=True)}
    assert [s["Model"] for s in shown] == board["model_id"].to_list()
    for s, row in zip(shown, board.iter_rows(named=True), strict=True):
        r = ranges[row["run_id"]]
        assert r["ci_low"] < r["ci_high"], "each run's interval was computed at ingest (from its samples)"
        assert s["±"] == pytest.approx((r["ci_high"] - r["ci_low"]) / 2)
        best, worst = r["rank_best"], r["rank_worst"]
        assert s["Rank range"] == (str(best) if best == worst else f"{best}–{worst}")
        assert best <= s["Rank"] <= worst
    widget(at.toggle, "Group rows that cannot be told apart").set_value(True).run()
    groups = table(at)["Group"].tolist()
    assert groups[0] == 1 and groups == sorted(groups), "groups follow the table's order"
    assert groups[-1] < len(groups), "the fixture's close scores make some rows indistinguishable"
