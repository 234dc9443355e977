"""The per-model pages under AppTest, against the fixture warehouse: history, quantization, model."""

from __future__ import annotations

import pytest

from core.vocabulary import REFERENCE_ORDER
from dashboard.views import REAL_CHANGE, difference_line, precision_runs
from tests.dashboard_app import chart, page, table, widget
from tests.fixture_warehouse import FLAGGED_MODEL, QUANTIZED_MODEL, SAMPLE_TASKS, SAMPLES_PER_TASK
from warehouse import queries

pytest_plugins = ["tests.dashboard_fixtures"]


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


def test_the_page_and_the_cli_compare_the_same_latest_run_of_each_precision(home):
    latest = queries.latest_runs(home, QUANTIZED_MODEL, suite="offline")
    assert [r.precision for r in latest] == list(REFERENCE_ORDER)  # highest precision first
    assert precision_runs(queries.precision_scores(home, QUANTIZED_MODEL, suite="offline")) == latest
    assert len({r.sha for r in latest}) == 1  # all six at the model's latest commit
    compared = queries.quantization_comparison(home, QUANTIZED_MODEL, suite="offline")
    assert dict(compared.select("precision", "run_id").unique().iter_rows()) == {r.precision: r.run_id for r in latest}
    at_sha = queries.latest_runs(home, QUANTIZED_MODEL, sha=latest[0].sha[:10], suite="offline")
    assert at_sha == latest

def test_model_page_shows_runs_scores_requests_and_samples(home, fixture):
    at = page("model", model=QUANTIZED_MODEL)
    assert QUANTIZED_MODEL in at.header[0].value
    runs = table(at, 0)
    assert len(runs) == sum(r["model"] == QUANTIZED_MODEL for r in fixture.runs) == 9
    tasks = table(at, 1)
    assert "llmb_mmlu_pro" in set(tasks["task"]) and tasks["stderr"].notna().any()
    samples = table(at, 2)
    assert len(samples) == len(SAMPLE_TASKS) * SAMPLES_PER_TASK
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




def test_quantization_compares_each_precision_item_by_item_and_draws_the_memory_front(home):
    at = page("quantization")
    paired = [t for t in at.dataframe if "Verdict" in t.value.columns]
    assert paired, "a table of paired comparisons against the reference"
    df = paired[0].value
    scores = queries.precision_scores(home, QUANTIZED_MODEL, suite="offline")
    runs = {r.precision: r for r in precision_runs(scores)}
    assert set(df["Precision"]) == set(runs) - {"float32"}
    lines = "\n".join(m.value for m in at.markdown)
    for row in df.to_dict("records"):
        c = queries.compare_runs(home, runs["float32"].run_id, runs[row["Precision"]].run_id)
        assert row["Δ average"] == pytest.approx(c["average"]["diff"]) and row["Verdict"] == c["verdict"]
        assert difference_line(row["Precision"], c["average"]) in lines, "each precision's verdict, in words"
        assert row["Flips"] == pytest.approx(c["flip_rate"])
        assert row["Recovery"] == pytest.approx(runs[row["Precision"]].average / runs["float32"].average)
    front = [t for t in chart(at, 1) if t.get("name", "").startswith("front")]
    assert front and list(front[0]["y"]) == sorted(front[0]["y"]), "the front only rises with memory"


def test_history_draws_the_averages_interval_and_marks_real_steps(home):
    at = page("history", model=QUANTIZED_MODEL)
    runs = queries.run_history(home, QUANTIZED_MODEL, "float32", suite="offline")
    traces = {t["name"]: t for t in chart(at, 1)}
    band = traces["Average: 95% interval"]
    n = runs.height
    assert list(band["y"][:n]) == pytest.approx(runs["average_ci_high"].to_list())
    assert list(band["y"][n:]) == pytest.approx(runs["average_ci_low"].reverse().to_list())
    steps = queries.commit_steps(home, QUANTIZED_MODEL, "float32", suite="offline")
    assert steps.height == runs["sha"].n_unique() - 1, "one step between each pair of consecutive commits"
    for step in steps.iter_rows(named=True):
        assert step["significant"] == (step["ci_low"] > 0 or step["ci_high"] < 0)
        assert step["verdict"].startswith(("better", "worse")) == step["significant"]
    marks = traces.get(REAL_CHANGE)
    assert (marks is not None) == bool(steps["significant"].any())
    assert marks is None or len(marks["x"]) == steps["significant"].sum(), "one mark per real change"
    lines = "\n".join(m.value for m in at.markdown)
    for step in steps.iter_rows(named=True):
        assert difference_line(f"{step['from_sha'][:7]} → {step['to_sha'][:7]}", step) in lines
    assert len(table(at, 1)) == steps.height


def test_the_model_page_shows_each_benchmark_with_its_interval(home):
    at = page("model", model=QUANTIZED_MODEL)
    bars = chart(at, 0)[0]
    run_id = queries.model_runs(home, QUANTIZED_MODEL)["run_id"][0]
    expected = queries.run_benchmarks(home, run_id)
    assert list(bars["x"]) == expected["benchmark"].to_list() and bars["x"][-1] == "average"
    assert list(bars["y"]) == pytest.approx(expected["normalized"].to_list())
    plus = [0 if h is None else max(0, h - v) for h, v in zip(expected["ci_high"], expected["normalized"],
                                                             strict=True)]
    assert list(bars["error_y"]["array"]) == pytest.approx(plus)
    assert expected["ci_high"].is_not_null().sum() >= 2, "intervals computed at ingest are shown"
