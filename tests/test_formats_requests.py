"""Parsing request files, and the model-type and precision labels requests and the contents table carry."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.vocabulary import IMPORTED_MODEL_TYPES, IMPORTED_PRECISIONS
from warehouse.formats.common import FormatError
from warehouse.formats.labels import CONTENTS_TYPE_LABELS, normalize_model_type, normalize_precision
from warehouse.formats.requests import parse_request

# --------------------------------------------------------------------------- labels


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


def test_labels_map_onto_the_imported_vocabulary():
    assert tuple(CONTENTS_TYPE_LABELS) == IMPORTED_MODEL_TYPES
    for model_type, label in CONTENTS_TYPE_LABELS.items():
        assert normalize_model_type(label) == model_type  # export's labels read back
        assert normalize_model_type(model_type) == model_type
    for precision in IMPORTED_PRECISIONS:
        assert normalize_precision(precision) == precision
        assert normalize_precision(precision.lower()) == precision


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
        ("likes", -1),
        ("likes", -10**400),  # valid JSON: any number of digits
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
