"""Scoring real results files by the leaderboard's published method."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from core.benchmarks import LEADERBOARD_V1, LEADERBOARD_V2, Benchmark
from warehouse.formats import FormatError, parse_results
from warehouse.scoring import normalize, score_run

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "open-llm-leaderboard"
QWEN = "results/Qwen__Qwen2.5-7B_results_2025-03-17T04-00-53.608606.json"
GEMMA = "results/gemma-2-9b-checkpoint-501_results_2025-03-28T22-47-57.241760.json"
OFFICIAL = "results/official/mistralai_Mistral-7B-Instruct-v0.3/results_2024-06-17T14-37-59.603167.json"
EXPECTED_KEYS = {
    "IFEval": "ifeval",
    "BBH": "bbh",
    "MATH": "math",
    "GPQA": "gpqa",
    "MUSR": "musr",
    "MMLU-PRO": "mmlu_pro",
}


def test_normalize():
    assert normalize(0.25, 0.25) == 0.0
    assert normalize(0.1, 0.25) == 0.0  # below the baseline
    assert normalize(1.0, 0.5) == 100.0
    assert normalize(0.5) == 50.0


def test_official_file_matches_published_scores(fixtures):
    expected = json.loads((fixtures / "results/official_expected.json").read_text())
    scores = score_run(parse_results(fixtures / OFFICIAL), LEADERBOARD_V2)
    published = expected["mistralai/Mistral-7B-Instruct-v0.3"]
    for label, key in EXPECTED_KEYS.items():
        assert scores.normalized[key] == pytest.approx(published[label], abs=0.01), key
    assert scores.average == pytest.approx(published["Average"], abs=0.01)
    assert scores.aggregate_rows == []  # the official file carries every group value


def _file(fixtures, name):
    return json.loads((fixtures / name).read_text())


def test_causal_eval_file_rebuilds_group_values(fixtures):
    data = _file(fixtures, QWEN)
    parsed = parse_results(fixtures / QWEN)
    scores = score_run(parsed, LEADERBOARD_V2)
    results, n = data["results"], {t: c["effective"] for t, c in data["n-samples"].items()}

    # BBH by hand: each subtask normalized with 1/len(doc_to_choice), then the unweighted mean
    bbh = [t for t in results if t.startswith("leaderboard_bbh_")]
    assert len(bbh) == 24
    by_hand = [
        normalize(results[t]["acc_norm,none"], 1 / len(data["configs"][t]["doc_to_choice"])) for t in bbh
    ]
    assert scores.normalized["bbh"] == pytest.approx(sum(by_hand) / 24, abs=1e-9)
    assert scores.raw["bbh"] == pytest.approx(sum(results[t]["acc_norm,none"] for t in bbh) / 24, abs=1e-9)

    # GPQA by hand: the sample-weighted mean of its three subsets, normalized with 1/4
    gpqa = ["leaderboard_gpqa_diamond", "leaderboard_gpqa_extended", "leaderboard_gpqa_main"]
    weighted = sum(results[t]["acc_norm,none"] * n[t] for t in gpqa) / sum(n[t] for t in gpqa)
    assert scores.raw["gpqa"] == pytest.approx(weighted, abs=1e-12)
    assert scores.normalized["gpqa"] == pytest.approx((weighted - 0.25) / 0.75 * 100, abs=1e-9)

    # MATH: the sample-weighted mean of leaderboard_math_<topic>_hard, times 100
    math_tasks = [
        t
        for t in results
        if t.startswith("leaderboard_math_") and t.endswith("_hard") and t != "leaderboard_math_hard"
    ]
    assert len(math_tasks) == 7
    math_value = sum(results[t]["exact_match,none"] * n[t] for t in math_tasks) / sum(
        n[t] for t in math_tasks
    )
    assert scores.normalized["math"] == pytest.approx(math_value * 100, abs=1e-9)

    # MuSR with its declared baselines; IFEval the mean of the two strict metrics
    musr = {"murder_mysteries": 1 / 2, "object_placements": 1 / 5, "team_allocation": 1 / 3}
    musr_by_hand = [normalize(results[f"leaderboard_musr_{t}"]["acc_norm,none"], b) for t, b in musr.items()]
    assert scores.normalized["musr"] == pytest.approx(sum(musr_by_hand) / 3, abs=1e-9)
    ifeval = results["leaderboard_ifeval"]
    strict = (ifeval["prompt_level_strict_acc,none"] + ifeval["inst_level_strict_acc,none"]) / 2
    assert scores.normalized["ifeval"] == pytest.approx(strict * 100, abs=1e-9)
    assert scores.normalized["mmlu_pro"] == pytest.approx(
        normalize(results["leaderboard_mmlu_pro"]["acc,none"], 0.1), abs=1e-9
    )
    assert scores.average == pytest.approx(sum(scores.normalized.values()) / 6, abs=1e-12)

    # the rebuilt group values come back as rows to store, with their normalized values
    rebuilt = {row.task: row for row in scores.aggregate_rows}
    assert set(rebuilt) == {"leaderboard_gpqa", "leaderboard_math_hard"}
    assert rebuilt["leaderboard_gpqa"].n_samples == sum(n[t] for t in gpqa)
    assert scores.normalized_by_row[("leaderboard_gpqa", "acc_norm", "none")] == scores.normalized["gpqa"]


def test_stored_group_values_agree_with_rebuilt_ones(fixtures):
    """The gemma causal-eval file does carry `groups`: the stored values equal the rebuilt ones."""
    data = _file(fixtures, GEMMA)
    stored = score_run(parse_results(data, source_file=GEMMA), LEADERBOARD_V2)
    for block in ("groups",):
        data.pop(block)
    for task in (
        "leaderboard",
        "leaderboard_bbh",
        "leaderboard_gpqa",
        "leaderboard_math_hard",
        "leaderboard_musr",
    ):
        data["results"][task] = {" ": " ", "alias": task}
    rebuilt = score_run(parse_results(data, source_file=GEMMA), LEADERBOARD_V2)
    assert {row.task for row in rebuilt.aggregate_rows} == {"leaderboard_gpqa", "leaderboard_math_hard"}
    for key, value in stored.normalized.items():
        assert rebuilt.normalized[key] == pytest.approx(value, abs=1e-9), key


def test_normalized_by_row(fixtures):
    parsed = parse_results(fixtures / OFFICIAL)
    scores = score_run(parsed, LEADERBOARD_V2)
    assert set(scores.normalized_by_row) == {(r.task, r.metric, r.filter) for r in parsed.scores}
    row = ("leaderboard_bbh_navigate", "acc_norm", "none")  # two choices: baseline 1/2
    assert scores.normalized_by_row[row] == pytest.approx(normalize(parsed.value(*row), 0.5))
    assert scores.normalized_by_row[("leaderboard_gpqa_main", "acc_norm", "none")] == pytest.approx(
        normalize(parsed.value("leaderboard_gpqa_main", "acc_norm"), 0.25)
    )
    assert scores.normalized_by_row[("leaderboard_ifeval", "prompt_level_loose_acc", "none")] is None
    assert scores.normalized_by_row[("leaderboard_arc_challenge", "acc", "none")] is None  # in no benchmark


def test_missing_benchmark_gives_no_average(fixtures):
    data = _file(fixtures, OFFICIAL)
    del data["results"]["leaderboard_mmlu_pro"]
    scores = score_run(parse_results(data, source_file="without-mmlu-pro.json"), LEADERBOARD_V2)
    assert scores.normalized["mmlu_pro"] is None and scores.average is None
    assert "leaderboard_mmlu_pro" in scores.benchmarks["mmlu_pro"].missing
    assert scores.normalized["bbh"] == pytest.approx(25.5691, abs=0.01)


def test_unknown_choice_count_is_reported(fixtures):
    data = _file(fixtures, OFFICIAL)
    data["configs"]["leaderboard_bbh_navigate"]["doc_to_choice"] = "{{choices}}"
    scores = score_run(parse_results(data, source_file="x.json"), LEADERBOARD_V2)
    assert scores.normalized["bbh"] is None
    assert "leaderboard_bbh_navigate" in scores.benchmarks["bbh"].missing


def test_runs_of_one_shape_are_scored_from_their_own_values(fixtures):
    """Runs whose rows, groups and choices have the same names share how they are scored (a cache), never
    their values, their numbers of choices or their errors."""
    first = score_run(parse_results(fixtures / OFFICIAL), LEADERBOARD_V2)
    data = _file(fixtures, OFFICIAL)
    data["results"]["leaderboard_bbh_navigate"]["acc_norm,none"] = 1.5
    with pytest.raises(FormatError, match="leaderboard_bbh_navigate.*expected a share from 0 to 1, got 1.5"):
        score_run(parse_results(data, source_file="out-of-range.json"), LEADERBOARD_V2)
    data = _file(fixtures, OFFICIAL)
    data["results"]["leaderboard_bbh_navigate"]["acc_norm,none"] = 0.75
    data["configs"]["leaderboard_bbh_navigate"]["doc_to_choice"] = ["a", "b", "c", "d"]  # baseline 1/4, not 1/2
    parsed = parse_results(data, source_file="other.json")
    scores = score_run(parsed, LEADERBOARD_V2)
    row = ("leaderboard_bbh_navigate", "acc_norm", "none")
    assert scores.normalized_by_row[row] == normalize(0.75, 0.25)
    assert scores.normalized_by_row[row] != first.normalized_by_row[row]
    others = [v for k, v in scores.normalized_by_row.items() if k[0].startswith("leaderboard_bbh_") and k != row]
    assert scores.normalized["bbh"] == pytest.approx((sum(others) + normalize(0.75, 0.25)) / 24, abs=1e-12)
    assert scores.normalized["gpqa"] == first.normalized["gpqa"]


@pytest.mark.parametrize("twin", [False, True])
def test_runs_scored_by_their_shape_score_as_benchmark_by_benchmark(fixtures, twin):
    """The plan kept for runs of a shape (where each row read lies among the run's rows) scores as reading
    benchmark by benchmark does, which a suite with a ``raw`` benchmark makes score_run do; with a row repeated
    later under its key (a hand-made ParsedResults), the later one is read."""
    parsed = parse_results(fixtures / OFFICIAL)
    if twin:
        row = next(r for r in parsed.scores if r.task == "leaderboard_bbh_navigate")
        parsed.scores.append(row._replace(value=0.75))
    unplanned = replace(LEADERBOARD_V2, benchmarks=(
        *LEADERBOARD_V2.benchmarks, Benchmark("absent", "Absent", "raw", "no_such_task", ("acc",))))
    expected = score_run(parsed, unplanned)
    score_run(parsed, LEADERBOARD_V2)
    scores = score_run(parsed, LEADERBOARD_V2)  # the second time from the kept plan
    assert scores.benchmarks == {k: v for k, v in expected.benchmarks.items() if k != "absent"}
    assert list(scores.normalized_by_row.items()) == list(expected.normalized_by_row.items())
    if twin:
        assert scores.normalized_by_row[("leaderboard_bbh_navigate", "acc_norm", "none")] == normalize(0.75, 1 / 2)


def test_v1_lighteval_scores():
    mmlu = {
        f"harness|hendrycksTest-{s}|5": {"acc": v, "acc_stderr": 0.04}
        for s, v in (("abstract_algebra", 0.35), ("anatomy", 0.55), ("astronomy", 0.7))
    }
    data = {
        "config_general": {"model_name": "org/model", "model_sha": "abc", "model_dtype": "torch.float16"},
        "results": {
            "harness|arc:challenge|25": {"acc": 0.5, "acc_norm": 0.55},
            "harness|hellaswag|10": {"acc": 0.57, "acc_norm": 0.76},
            **mmlu,
            "harness|truthfulqa:mc|0": {"mc1": 0.29, "mc2": 0.43},
            "harness|winogrande|5": {"acc": 0.75},
            "harness|gsm8k|5": {"acc": 0.29},
            "all": {"acc": 0.62, "acc_norm": 0.63},
        },
    }
    scores = score_run(
        parse_results(data, source_file="results_2024-01-06T09-45-44.755529.json"), LEADERBOARD_V1
    )
    assert scores.normalized == pytest.approx(
        {
            "arc": 55.0,
            "hellaswag": 76.0,
            "mmlu": 53.333333,
            "truthfulqa": 43.0,
            "winogrande": 75.0,
            "gsm8k": 29.0,
        }
    )
    assert scores.average == pytest.approx((55 + 76 + 160 / 3 + 43 + 75 + 29) / 6)
    assert scores.normalized_by_row[("hendrycksTest-anatomy", "acc", "none")] == pytest.approx(55.0)
