"""Parsing results files (lm-eval and lighteval): metric keys, model ids, malformed files."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from warehouse.formats.common import FormatError
from warehouse.formats.lm_eval_model import model_id_from_path
from warehouse.formats.results import parse_results
from warehouse.formats.scores import score_rows, section_rows, split_metric_key

QWEN = "results/Qwen__Qwen2.5-7B_results_2025-03-17T04-00-53.608606.json"
GEMMA = "results/gemma-2-9b-checkpoint-501_results_2025-03-28T22-47-57.241760.json"
OFFICIAL = "results/official/mistralai_Mistral-7B-Instruct-v0.3/results_2024-06-17T14-37-59.603167.json"


# --------------------------------------------------------------------------- metric keys, model ids


@pytest.mark.parametrize(
    "key, expected",
    [
        ("acc_norm,none", ("acc_norm", "none", False)),
        ("acc_norm_stderr,none", ("acc_norm", "none", True)),
        ("exact_match,strict-match", ("exact_match", "strict-match", False)),
        ("acc_norm", ("acc_norm", "none", False)),  # v1 lighteval
        ("mc2_stderr", ("mc2", "none", True)),
    ],
)
def test_metric_keys_split_once(key, expected):
    assert split_metric_key(key) == expected


def test_local_model_paths_become_ids():
    path = (
        "/n/netscratch/kempner_sham_lab/Lab/hanlinzhang/causal-eval/models/google/gemma-2-9b/1/checkpoint-501"
    )
    assert model_id_from_path(path) == "google/gemma-2-9b-checkpoint-501"
    assert model_id_from_path("/models/meta-llama/Llama-3.1-8B") == "meta-llama/Llama-3.1-8B"


# --------------------------------------------------------------------------- results files


def test_official_results_file(fixtures):
    parsed = parse_results(fixtures / OFFICIAL)
    assert parsed.format == "lm-eval"
    assert parsed.suite == "leaderboard"
    assert parsed.model == "mistralai/Mistral-7B-Instruct-v0.3"
    assert parsed.sha == "83e9aa141f2e28c82232fea5325f54edf17c43de"
    assert parsed.precision == "bfloat16"
    assert parsed.evaluated_at == datetime.fromtimestamp(1718633806.7867453, tz=UTC)
    assert parsed.transformers_version == "4.41.2"
    assert parsed.git_hash == "8f1dc26"
    assert parsed.chat_template and parsed.chat_template.startswith("{{ bos_token }}")
    assert parsed.num_fewshot["leaderboard_bbh_navigate"] == 3
    assert parsed.n_choices["leaderboard_bbh_geometric_shapes"] == 11
    assert "leaderboard_musr_team_allocation" not in parsed.n_choices  # doc_to_choice is '{{choices}}'
    assert len(parsed.group_subtasks["leaderboard_bbh"]) == 24
    ifeval = [
        r for r in parsed.scores if r.task == "leaderboard_ifeval" and r.metric == "inst_level_strict_acc"
    ]
    assert ifeval[0].filter == "none" and ifeval[0].stderr is None  # stderr "N/A"
    assert ifeval[0].n_samples == 541
    gpqa = parsed.value("leaderboard_gpqa", "acc_norm")
    assert gpqa == pytest.approx(0.27936241610738255)


def test_causal_eval_file_without_groups(fixtures):
    data = json.loads((fixtures / QWEN).read_text())
    assert "groups" not in data
    parsed = parse_results(fixtures / QWEN)
    assert parsed.model == "Qwen/Qwen2.5-7B"
    assert parsed.sha is None  # vllm run, no model_sha
    assert parsed.precision == "auto"  # model_args dtype=auto, kept as given
    assert parsed.fewshot_as_multiturn is False
    assert parsed.lm_eval_version is None
    # group rows ({" ": " ", "alias": ...}) hold no scores, so they give no rows
    assert {r.task for r in parsed.scores}.isdisjoint(
        {"leaderboard", "leaderboard_bbh", "leaderboard_math_hard"}
    )
    assert len(parsed.scores) == 42


def test_group_subtasks_inferred_when_missing(fixtures):
    data = json.loads((fixtures / QWEN).read_text())
    declared = data.pop("group_subtasks")
    parsed = parse_results(data, source_file="qwen-without-group_subtasks.json")
    assert {g: sorted(m) for g, m in parsed.group_subtasks.items()} == {
        g: sorted(m) for g, m in declared.items()
    }
    # MATH's subtasks are leaderboard_math_<topic>_hard, not leaderboard_math_hard_*
    assert len(parsed.group_subtasks["leaderboard_math_hard"]) == 7


def test_local_path_model_name(fixtures):
    parsed = parse_results(fixtures / GEMMA)
    assert parsed.model == "google/gemma-2-9b-checkpoint-501"
    assert parsed.raw["model_name"].startswith("/n/netscratch/")


def test_lm_eval_049_sample_results(fixtures):
    path = next((fixtures / "samples").glob("results_*.json"))
    parsed = parse_results(path)
    assert parsed.suite == "other"
    assert parsed.lm_eval_version == "0.4.9.2"
    assert parsed.sha == "82047f5e5d5245c1b3a4cd75ad98aa441d6487cd"
    assert parsed.precision == "bfloat16"
    assert parsed.group_subtasks == {}  # every task is listed with [] in 0.4.9: no groups
    assert parsed.value("math_rephrased_full", "exact_match") == pytest.approx(0.0004)
    assert {r.n_samples for r in parsed.scores} == {5000}


def test_lighteval_v1_results():
    data = {
        "config_general": {
            "model_name": "org/model",
            "model_sha": "abc",
            "model_dtype": "torch.float16",
            "start_time": 1234.5,
            "lighteval_sha": "def",
        },
        "results": {
            "harness|arc:challenge|25": {
                "acc": 0.5,
                "acc_stderr": 0.01,
                "acc_norm": 0.55,
                "acc_norm_stderr": 0.01,
            },
            "harness|hendrycksTest-abstract_algebra|5": {"acc": 0.35, "acc_stderr": 0.04},
            "harness|hendrycksTest-anatomy|5": {"acc": 0.56, "acc_stderr": 0.04},
            "harness|truthfulqa:mc|0": {"mc1": 0.28, "mc2": 0.43, "mc2_stderr": 0.014},
            "all": {"acc": 0.6, "acc_stderr": 0.03},
        },
    }
    parsed = parse_results(data, source_file="details_org__model/results_2024-01-06T09-45-44.755529.json")
    assert (parsed.format, parsed.suite, parsed.model, parsed.sha, parsed.precision) == (
        "lighteval",
        "leaderboard_v1",
        "org/model",
        "abc",
        "float16",
    )
    assert parsed.evaluated_at == datetime(2024, 1, 6, 9, 45, 44, 755529, tzinfo=UTC)
    assert parsed.num_fewshot == {
        "arc:challenge": 25,
        "hendrycksTest-abstract_algebra": 5,
        "hendrycksTest-anatomy": 5,
        "truthfulqa:mc": 0,
    }
    assert parsed.value("truthfulqa:mc", "mc2") == 0.43
    arc = [r for r in parsed.scores if r.task == "arc:challenge" and r.metric == "acc_norm"][0]
    assert (arc.filter, arc.stderr) == ("none", 0.01)
    assert parsed.group_subtasks == {
        "hendrycksTest": ["hendrycksTest-abstract_algebra", "hendrycksTest-anatomy"]
    }


def test_malformed_results_name_the_field(tmp_path):
    path = tmp_path / "results_2024-01-01T00-00-00.json"
    path.write_text(json.dumps({"results": {"leaderboard_ifeval": [0.5]}}))
    with pytest.raises(FormatError) as error:
        parse_results(path)
    assert str(path) in str(error.value) and "results.leaderboard_ifeval" in str(error.value)
    path.write_text(json.dumps({"results": {}, "n-samples": {"t": {"effective": "many"}}}))
    with pytest.raises(FormatError, match="n-samples.t"):
        parse_results(path)
    path.write_text("[1, 2]")
    with pytest.raises(FormatError, match="JSON object"):
        parse_results(path)
    with pytest.raises(FormatError, match="'results'"):
        parse_results({"config": {}}, source_file="x.json")


@pytest.mark.parametrize(
    "field, value",
    [("model_name", 7), ("fewshot_as_multiturn", "no"), ("configs", []), ("group_subtasks", {"g": "t"})],
)
def test_wrong_typed_results_field(fixtures, field, value):
    data = _load(fixtures, OFFICIAL)
    data[field] = value
    with pytest.raises(FormatError) as error:
        parse_results(data, source_file="official.json")
    assert error.value.field.split(".")[0] == field and "official.json" in str(error.value)


NAVIGATE, GEOMETRY = "leaderboard_bbh_navigate", "leaderboard_bbh_geometric_shapes"


@pytest.mark.parametrize(
    "edits",
    [
        {},
        {(NAVIGATE, "acc_norm_stderr,none"): "N/A"},
        {(NAVIGATE, "acc_norm_stderr,none"): None},
        {(NAVIGATE, "acc_norm_stderr,none"): "0.01"},
        {(NAVIGATE, "acc_norm_stderr,none"): float("nan")},
        {(NAVIGATE, "acc_norm_stderr,none"): True},
        {(NAVIGATE, "acc_norm_stderr,none"): [0.01]},
        {(NAVIGATE, "acc_norm_stderr,none"): 10**400},
        {(NAVIGATE, "acc_norm,none"): float("nan")},
        {(NAVIGATE, "acc_norm,none"): float("-inf")},
        {(NAVIGATE, "acc_norm,none"): "N/A"},
        {(NAVIGATE, "acc_norm,none"): None},
        {(NAVIGATE, "acc_norm,none"): 1},
        {(NAVIGATE, "acc_norm,none"): 10**400},
        {(NAVIGATE, "acc_norm,none"): 1e308, (GEOMETRY, "acc_norm,none"): 1e308},  # a sum past a float's range
        {(NAVIGATE, "acc_norm"): 0.3},  # two value keys of one metric and filter
    ],
)
def test_a_section_read_in_one_go_reads_as_its_blocks(fixtures, edits):
    """A section whose blocks have keys seen before is read in one go where every value is a finite float (a
    stderr also "N/A" or null): the same rows, or the same error, as reading it block by block."""
    results = _load(fixtures, OFFICIAL)["results"]
    n_samples = {NAVIGATE: 250, GEOMETRY: 250}
    section_rows(results, n_samples, "x.json", "results")  # the shape's plan, made and kept
    for (task, key), value in edits.items():
        results[task][key] = value
    try:
        expected = [row for task, metrics in results.items()
                    for row in score_rows(task, metrics, n_samples.get(task), "x.json", f"results.{task}")]
    except FormatError as error:
        with pytest.raises(FormatError) as raised:
            section_rows(results, n_samples, "x.json", "results")
        assert str(raised.value) == str(error)
    else:
        assert section_rows(results, n_samples, "x.json", "results") == expected
        assert section_rows(results, n_samples, "x.json", "results") == expected  # a second time, from the plan


def _load(fixtures: Path, name: str) -> dict:
    return json.loads((fixtures / name).read_text())
