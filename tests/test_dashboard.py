"""Every dashboard page, run by Streamlit's AppTest against the fixture warehouse."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.views import DEFAULT_COLUMNS, leaderboard_view, view_csv, view_parquet
from tests.conftest import REPO
from tests.fixture_warehouse import (
    COMMITS,
    FLAGGED_MODEL,
    MODELS,
    QUANTIZED_MODEL,
    REAL,
    build_fixture_warehouse,
    results_json,
    sha_of,
)
from warehouse import queries

APP = str(REPO / "dashboard" / "app.py")
PAGES = ("leaderboard", "queue", "submit", "history", "quantization", "model", "flags", "about")


@pytest.fixture(scope="session")
def fixture(tmp_path_factory):
    return build_fixture_warehouse(tmp_path_factory.mktemp("dashboard") / "home")


@pytest.fixture
def home(fixture, monkeypatch):
    monkeypatch.setenv("LLMBOARD_HOME", str(fixture.home))
    monkeypatch.setenv("LLMBOARD_ADMIN_TOKEN", "test-admin-token")
    st.cache_resource.clear()
    st.cache_data.clear()
    return fixture.home


def page(name: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if name != "leaderboard":
        at.switch_page(f"screens/{name}.py")
        at.run()
    assert not at.exception, at.exception
    return at


def widget(elements, label: str):
    found = [e for e in elements if e.label == label]
    assert found, f"no widget {label!r} among {[e.label for e in elements]}"
    return found[0]


def table(at: AppTest, i: int = 0):
    return at.dataframe[i].value


def chart(at: AppTest, i: int = 0) -> list[dict]:
    """The chart's traces, with plotly's base64-packed arrays ({"dtype", "bdata"}) decoded to lists."""
    return _decode(json.loads(at.get("plotly_chart")[i].proto.spec)["data"])


def bar_chart(at: AppTest) -> tuple[dict, list[dict]]:
    """The leaderboard's Vega-Lite chart: its spec and its rows."""
    import pyarrow as pa

    proto = at.get("vega_lite_chart")[0].proto
    return json.loads(proto.spec), pa.ipc.open_stream(proto.data.data).read_all().to_pylist()


def _decode(obj):
    if isinstance(obj, dict) and "bdata" in obj and "dtype" in obj:
        arr = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=obj["dtype"])
        shape = obj.get("shape")
        if shape:
            arr = arr.reshape([int(x) for x in str(shape).split(",")])
        return arr.tolist()
    if isinstance(obj, dict):
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    return obj


def offline_board(home, **filters):
    return queries.rankings(home, suite="offline", **filters)


# -- leaderboard -------------------------------------------------------------------------------------

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


# -- queue and submit --------------------------------------------------------------------------------

def test_queue_lists_every_state_with_progress_and_failure(home, fixture):
    at = page("queue")
    counts = {m.label: m.value for m in at.metric}
    n_finished = len(fixture.runs)
    assert counts == {"Pending": "1", "Running": "1", "Finished": str(n_finished), "Failed": "1"}
    bar = at.get("progress")[0]
    assert bar.proto.value == 42 and "llmb_bbh_word_sorting" in bar.proto.text
    assert "no .gguf file" in at.error[0].value
    assert "ValueError: no gguf file found" in at.code[0].value
    assert table(at, 0)["Model"].tolist() == ["demo/ft-qwen"]  # pending
    assert len(table(at, 1)) == n_finished


def test_submit_shows_each_failure_next_to_its_field(home):
    at = page("submit")
    at.button[0].click().run()  # empty model
    assert not at.exception
    assert any("enter a hub id" in e.value for e in at.error)
    widget(at.text_input, "Model (hub id or local path)").input("no-such-org/no-such-model-xyz")
    widget(at.text_input, "Revision (branch, tag or commit)").input("main")
    at.button[0].click().run()
    assert not at.exception and at.error and all("Traceback" not in e.value for e in at.error)
    assert not any("enter a hub id" in e.value for e in at.error), "the typed model id reached the checks"


@pytest.mark.slow
def test_submit_a_local_repository_puts_it_in_the_queue(cfg, tiny_repo, monkeypatch):
    repo, shas = tiny_repo
    st.cache_resource.clear()
    st.cache_data.clear()
    at = page("submit")
    widget(at.text_input, "Model (hub id or local path)").input(str(repo))
    widget(at.text_input, "List a local repository as (optional)").input("demo/tiny-submit")
    at.button[0].click().run()  # form values are sent with the submit click
    assert not at.exception and not at.error, [e.value for e in at.error]
    message = at.success[0].value
    assert "demo/tiny-submit" in message and shas[-1][:10] in message and "place 1 of 1" in message


# -- history, quantization, model --------------------------------------------------------------------

def test_history_charts_each_benchmark_across_commits(home, fixture):
    at = page("history", model=QUANTIZED_MODEL)
    # evaluated in six precisions at its latest commit, in float32 at all three: float32 is shown first
    assert widget(at.selectbox, "Precision").value == "float32"
    assert widget(at.selectbox, "Precision").options[0] == "4bit"
    traces = chart(at)
    names = [t["name"] for t in traces]
    assert names == ["IFEval", "BBH", "MATH Lvl 5", "GPQA", "MUSR", "MMLU-PRO", "Average"]
    runs = queries.run_history(home, QUANTIZED_MODEL, "float32", suite="offline")
    assert runs.height == 4  # three commits, the middle one evaluated twice
    avg = traces[-1]
    assert list(avg["y"]) == pytest.approx(runs["average"].to_list())
    assert [c[0] for c in avg["customdata"]] == [s[:7] for s in runs["sha"]]
    assert "%{customdata[0]}" in avg["hovertemplate"]
    assert "ran 2×" in at.warning[0].value
    df = table(at)
    assert len(df) == 4 and df["Spread (avg)"].notna().sum() == 2


def test_quantization_compares_precisions(home):
    at = page("quantization")
    assert widget(at.selectbox, "Model").value == QUANTIZED_MODEL  # most precisions first
    bars = chart(at, 0)
    assert sorted(t["name"] for t in bars) == sorted(["float32", "bfloat16", "float16", "8bit", "4bit", "gguf"])
    scores = queries.precision_scores(home, QUANTIZED_MODEL, suite="offline")
    f32 = next(t for t in bars if t["name"] == "float32")
    expected = scores.filter(scores["precision"] == "float32")
    assert list(f32["y"]) == pytest.approx(expected["normalized"].to_list())
    assert f32["error_y"]["array"][0] == pytest.approx(expected["stderr"][0])  # IFEval's stderr is known
    deltas = table(at, 0)
    assert deltas.columns[1] == "float32 (reference)" and "Δ 4bit" in deltas.columns
    avg = deltas[deltas["Benchmark"] == "Average"]
    by_p = dict(scores.unique("precision").select("precision", "average").iter_rows())
    assert avg["Δ 4bit"].iloc[0] == pytest.approx(by_p["4bit"] - by_p["float32"])
    agreement = table(at, 1)
    assert set(agreement["task"]) == {"llmb_mmlu_pro", "llmb_math_addition"}
    assert all(0 <= a <= 1 for a in agreement["agreement"])
    scatter = chart(at, 1)
    memory = queries.precision_memory(home, "offline")
    four = next(t for t in scatter if t["name"] == "4bit")
    assert list(four["x"]) == pytest.approx(memory.filter(memory["precision"] == "4bit")["weight_gb"].to_list())


def test_model_page_shows_runs_scores_requests_and_samples(home, fixture):
    at = page("model", model=QUANTIZED_MODEL)
    assert QUANTIZED_MODEL in at.header[0].value
    runs = table(at, 0)
    assert len(runs) == sum(r["model"] == QUANTIZED_MODEL for r in fixture.runs) == 9
    tasks = table(at, 1)
    assert "llmb_mmlu_pro" in set(tasks["task"]) and tasks["stderr"].notna().any()
    samples = table(at, 2)
    assert len(samples) == 24
    widget(at.selectbox, "Outcome").set_value("incorrect").run()
    assert not table(at, 2)["correct"].any()
    widget(at.text_input, "Text in prompt, target or response").input("Question 3 of llmb_mmlu").run()
    assert set(table(at, 2)["doc_id"]) <= {3}
    assert len(at.expander) >= 9  # one per request


def test_model_page_shows_the_flag_and_the_failed_request(home):
    at = page("model", model="acme/moe-8x")
    assert any("no .gguf file" in e.value for e in at.error)
    at = page("model", model=FLAGGED_MODEL)
    assert "flagged" in at.header[0].value and "MMLU-Pro test set" in at.warning[0].value


# -- flags and about ---------------------------------------------------------------------------------

def test_flag_comment_and_resolve(tmp_path, monkeypatch):
    home = tmp_path / "home"
    build_fixture_warehouse(home, real=False)
    monkeypatch.setenv("LLMBOARD_HOME", str(home))
    monkeypatch.setenv("LLMBOARD_ADMIN_TOKEN", "test-admin-token")
    st.cache_resource.clear()
    st.cache_data.clear()
    at = page("flags", model="demo/ft-qwen")
    widget(at.selectbox, "Kind").set_value("wrong-category")
    widget(at.text_area, "Reason").input("this is a chat model")
    at.button[0].click().run()
    assert not at.exception and "Flagged demo/ft-qwen" in at.success[0].value
    assert "demo/ft-qwen" not in set(offline_board(home)["model_id"])  # hidden once flagged

    at = page("flags")
    flags = queries.model_flags(home, "demo/ft-qwen")
    fid = flags["flag_id"][0]
    at.text_input(key=f"body-{fid}").input("agreed")
    at.button(key=f"comment-{fid}").click().run()
    assert queries.model_flags(home, "demo/ft-qwen")["comments"][0][0]["body"] == "agreed"
    at.button(key=f"resolved-{fid}").click().run()  # no token
    assert any("token" in e.value for e in at.error)
    assert queries.model_flags(home, "demo/ft-qwen")["status"][0] == "open"
    widget(at.text_input, "Admin token (maintainers only)").input("test-admin-token")
    at.button(key=f"resolved-{fid}").click().run()
    assert not at.exception
    assert queries.model_flags(home, "demo/ft-qwen")["status"][0] == "resolved"
    assert "demo/ft-qwen" in set(offline_board(home)["model_id"])


def test_about_explains_scores(home):
    at = page("about")
    text = at.markdown[0].value
    assert "baseline" in text and "merges" in text and "infrastructure" in text


def test_empty_warehouse_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMBOARD_HOME", str(tmp_path / "empty"))
    st.cache_resource.clear()
    st.cache_data.clear()
    for name in PAGES:
        at = page(name)
        assert not at.exception
        if name in ("leaderboard", "history", "quantization", "model", "flags", "queue"):
            assert at.info and ("Submit" in at.info[0].value or "submit" in at.info[0].value), name


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


def test_pages_never_import_torch_or_lm_eval(fixture):
    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"for name in {PAGES!r}:\n"
        f"    at = AppTest.from_file({APP!r}, default_timeout=60); at.run()\n"
        "    at.switch_page(f'screens/{name}.py'); at.run()\n"
        "    assert not at.exception, (name, at.exception)\n"
        "print(sorted(m for m in ('torch', 'lm_eval', 'transformers') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                         env={"LLMBOARD_HOME": str(fixture.home), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_fixture_models_all_reach_the_board(home):
    assert set(offline_board(home, show_flagged=True)["model_id"]) == set(MODELS)
