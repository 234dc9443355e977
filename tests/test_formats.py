"""Parsing the leaderboard's real files: results (lm-eval and lighteval), requests, the contents table."""

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from warehouse.formats import (
    CONTENTS_COLUMNS,
    FormatError,
    model_id_from_path,
    normalize_model_type,
    normalize_precision,
    parse_request,
    parse_results,
    read_contents,
    split_metric_key,
    to_contents,
)

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "open-llm-leaderboard"
QWEN = "results/Qwen__Qwen2.5-7B_results_2025-03-17T04-00-53.608606.json"
GEMMA = "results/gemma-2-9b-checkpoint-501_results_2025-03-28T22-47-57.241760.json"
OFFICIAL = "results/official/mistralai_Mistral-7B-Instruct-v0.3/results_2024-06-17T14-37-59.603167.json"
CONTENTS = "contents/v2_contents_sample.csv"
SCORE_COLUMNS = [
    c
    for c, ours in CONTENTS_COLUMNS.items()
    if ours and ours.split("_raw")[0] in ("ifeval", "bbh", "math", "gpqa", "musr", "mmlu_pro", "average")
]
SIX = ["IFEval", "BBH", "MATH Lvl 5", "GPQA", "MUSR", "MMLU-PRO"]


@pytest.fixture
def fixtures() -> Path:
    if not FIXTURES.is_dir():
        pytest.skip(f"real leaderboard fixtures not found at {FIXTURES} (the shared/ checkout is absent)")
    return FIXTURES


# --------------------------------------------------------------------------- metric keys, labels


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


@pytest.mark.parametrize(
    "label, expected",
    [
        ("🟢 : pretrained", "pretrained"),
        ("pretrained", "pretrained"),
        ("🟩 continuously pretrained", "continuously-pretrained"),
        ("💬 : 💬 chat models (RLHF, DPO, IFT, ...)", "chat"),
        ("🤝 : 🤝 base merges and moerges", "merge"),
        ("🔶 fine-tuned on domain-specific datasets", "fine-tuned"),
        ("🔶 : fine-tuned", "fine-tuned"),
        ("⭕ : instruction-tuned", "chat"),
        ("🟦 : RL-tuned", "chat"),
        ("🌸 : multimodal", "multimodal"),
        ("qwen2", None),
        ("", None),
        (None, None),
    ],
)
def test_model_type_labels(label, expected):
    assert normalize_model_type(label) == expected


def test_precision_names():
    assert normalize_precision("torch.float16") == "float16"
    assert normalize_precision("bf16") == "bfloat16"
    assert normalize_precision("GPTQ") == "GPTQ"
    assert normalize_precision("auto") == "auto"  # unknown: kept as given


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


def _load(fixtures: Path, name: str) -> dict:
    return json.loads((fixtures / name).read_text())


# --------------------------------------------------------------------------- request files


def _requests(fixtures: Path) -> dict[str, object]:
    return {
        str(p.relative_to(fixtures / "requests")): parse_request(p)
        for p in sorted((fixtures / "requests").rglob("*.json"))
    }


def test_every_request_file_parses(fixtures):
    parsed = _requests(fixtures)
    assert len(parsed) == 10
    for request in parsed.values():
        assert "/" in request.model
        assert request.status in {"PENDING", "RUNNING", "FINISHED"}
        assert request.submitted_time is not None and request.submitted_time.tzinfo is not None
        assert request.precision in {"float16", "bfloat16"}
        assert request.model_type_raw is None or isinstance(request.model_type_raw, str)
        assert request.dataset in {"open-llm-leaderboard/requests", "open-llm-leaderboard-old/requests"}
        assert request.dataset_revision


def test_request_oddities(fixtures):
    by_revision = {(r.model, r.dataset_revision): r for r in _requests(fixtures).values()}
    pending = by_revision[("Qwen/Qwen2-7B", "51030f6c45663d23553cd6ef3afb179a11d0d570")]
    finished = by_revision[("Qwen/Qwen2-7B", "b06cee1e3163d6a80710f67028a419c11fe9766d")]
    assert (pending.status, finished.status) == ("PENDING", "FINISHED")  # a status history
    assert (pending.model_type, pending.model_type_raw) == (None, "qwen2")  # an architecture as type
    assert (pending.job_id, pending.job_start_time) == (None, None)  # job_id -1, job_start_time null
    assert finished.job_id == "5778027"
    assert finished.job_start_time == datetime(2024, 6, 16, 18, 2, 29, 670872, tzinfo=UTC)
    assert finished.submitted_time == datetime(2024, 6, 9, 21, 55, 5, tzinfo=UTC)
    assert finished.revision == "453ed1575b739b5b03ce3758b23befdb0967f40e"
    assert finished.params_b == 7.616 and finished.format == "v2" and finished.base_model is None

    merge = by_revision[("Parissa3/test-model", "8cb1621c33e9f814fe90666ffe854b6e8ba08586")]
    assert (merge.model_type, merge.sender, merge.base_model) == ("merge", "Parissa3", None)
    chat = by_revision[("abhishek/autotrain-llama3-orpo-v2", "590e5654d8f8bd6474281e94dd35f5caafa51c1c")]
    assert chat.model_type == "chat" and chat.use_chat_template is True

    no_precision_name = by_revision[("Aeala/GPT4-x-AlpacaDente-30b", "refs/pr/133")]  # _False_False_False
    assert (no_precision_name.precision, no_precision_name.weight_type) == ("float16", "Original")
    assert no_precision_name.format == "v1" and no_precision_name.job_start_time is None  # ""
    assert (no_precision_name.revision, no_precision_name.likes, no_precision_name.license) == (
        "main",
        3,
        None,
    )

    delta = by_revision[("Andron00e/YetAnother_Open-Llama-3B-LoRA-OpenOrca", "refs/pr/74")]
    assert (delta.weight_type, delta.precision, delta.license) == ("Delta", "float16", "apache-2.0")
    v1 = by_revision[("CalderaAI/13B-Legerdemain-L2", "d3473c753cd6a024fe06117976ac4357f1f126d7")]
    assert (v1.model_type, v1.model_type_raw, v1.private, v1.likes) == (
        "fine-tuned",
        "🔶 : fine-tuned",
        False,
        10,
    )
    assert v1.dataset == "open-llm-leaderboard-old/requests"


@pytest.mark.parametrize(
    "field, value",
    [
        ("model", 42),
        ("submitted_time", "yesterday"),
        ("params", "seven"),
        ("private", "no"),
        ("use_chat_template", "yes"),
        ("job_id", 1.5),
        ("likes", "many"),
    ],
)
def test_malformed_request_names_file_and_field(tmp_path, field, value):
    data = {
        "model": "org/name",
        "revision": "main",
        "precision": "float16",
        "status": "PENDING",
        "submitted_time": "2024-06-09T21:55:05Z",
        field: value,
    }
    path = tmp_path / "org" / "name_eval_request_False_float16_Original.json"
    path.parent.mkdir()
    path.write_text(json.dumps(data))
    with pytest.raises(FormatError) as error:
        parse_request(path)
    assert error.value.field == field
    assert (
        str(path) in str(error.value) and repr(field) in str(error.value) and "expected" in str(error.value)
    )


def test_request_outside_a_dataset_layout(tmp_path):
    path = tmp_path / "name_eval_request_True_bfloat16_Adapter.json"
    path.write_text(json.dumps({"model": "org/name", "status": "pending"}))
    request = parse_request(path)
    assert (request.precision, request.weight_type, request.private) == ("bfloat16", "Adapter", True)
    assert (request.status, request.dataset_revision, request.use_chat_template) == ("PENDING", None, False)


# --------------------------------------------------------------------------- contents table


def test_contents_columns_normalized(fixtures):
    frame = read_contents(fixtures / CONTENTS)
    assert frame.height == 250
    assert list(frame.columns) == [ours for ours in CONTENTS_COLUMNS.values() if ours]
    assert frame["model"][0] == "3rd-Degree-Burn/Llama-3.1-8B-Squareroot-v1"  # from fullname, not the link
    assert set(frame["model_type"].unique()) <= {
        "pretrained",
        "continuously-pretrained",
        "fine-tuned",
        "chat",
        "merge",
        "multimodal",
    }
    assert frame["model_type"].null_count() == 0
    assert frame.schema["upload_date"] == pl.Date and frame["upload_date"].null_count() == 27
    assert frame.schema["available_on_hub"] == pl.Boolean and frame.schema["hub_hearts"] == pl.Int64
    assert frame["license"].null_count() == 89


def test_contents_round_trip(fixtures):
    original = pl.read_csv(fixtures / CONTENTS, infer_schema_length=0)
    exported = to_contents(read_contents(fixtures / CONTENTS))
    assert exported.columns == original.columns[1:]  # the first, unnamed column is a pandas index
    for column in SCORE_COLUMNS:
        assert exported[column].to_list() == original[column].cast(pl.Float64).to_list(), column
    for column in ("eval_name", "fullname", "Model", "Type", "T", "Model sha", "Precision", "Base Model"):
        assert exported[column].to_list() == original[column].to_list(), column


def test_contents_average_is_the_mean_of_the_six(fixtures):
    frame = pl.read_csv(fixtures / CONTENTS, infer_schema_length=0).select(
        pl.col([*SIX, "Average ⬆️"]).cast(pl.Float64)
    )
    recomputed = frame.select(pl.mean_horizontal(SIX)).to_series()
    assert (recomputed - frame["Average ⬆️"]).abs().max() < 0.01


def test_contents_parquet_and_bad_values(fixtures, tmp_path):
    frame = read_contents(fixtures / CONTENTS)
    parquet = tmp_path / "contents.parquet"
    typed = pl.read_csv(fixtures / CONTENTS).drop("")
    typed.write_parquet(parquet)
    assert read_contents(parquet).equals(frame)

    bad = tmp_path / "bad.csv"
    pl.read_csv(fixtures / CONTENTS, infer_schema_length=0).with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("n/a!")).otherwise(pl.col("GPQA")).alias("GPQA")
    ).write_csv(bad)
    with pytest.raises(FormatError) as error:
        read_contents(bad)
    assert error.value.field == "GPQA" and str(bad) in str(error.value)

    missing = tmp_path / "missing.csv"
    pl.read_csv(fixtures / CONTENTS, infer_schema_length=0).drop("fullname").write_csv(missing)
    with pytest.raises(FormatError, match="'fullname'"):
        read_contents(missing)
