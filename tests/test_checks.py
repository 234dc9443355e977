"""Submission checks, each through the real `submit(Submission(...), cfg)` on crafted local repositories:
the field and message a user sees, and that a refusal stores and enqueues nothing."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import struct
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from evaluator.checks import TRUST_REMOTE_CODE, SubmissionError
from evaluator.queue import INGEST_INBOX, connect, evaluation_queue
from evaluator.requests import REQUEST_ID, RequestStatus, RequestStore
from evaluator.submit import Submission, submit
from evaluator.zoo.git_repo import commit_all
from tests.defects import make_bad_repo

TINY = "demo/tiny-base"


@pytest.fixture(scope="session")
def bad_repo(tmp_path_factory):
    """bad_repo(kind): a repository with one defect (tests/defects.py), built once per session."""
    root = tmp_path_factory.mktemp("bad-repos")

    def make(kind: str) -> Path:
        if not (root / kind).exists():
            make_bad_repo(root / kind, kind)
        return root / kind

    return make


@pytest.fixture
def repo_copy(tiny_repo, tmp_path):
    """copy(change): a clone of the tiny repository with one more commit, made by `change(folder)`."""

    def copy(change, name: str = "crafted") -> tuple[Path, str]:
        dest = tmp_path / name
        subprocess.run(["git", "clone", "-q", str(tiny_repo[0]), str(dest)], check=True)
        change(dest)
        return dest, commit_all(dest, "crafted")

    return copy


def state(cfg) -> tuple:
    """What a submission can leave behind: request files, queued jobs, ingest-inbox items."""
    conn = connect(cfg.redis_url)
    return (sorted(p.name for p in cfg.requests_dir.iterdir() if p.name != ".lock"),
            sorted(evaluation_queue(conn).get_job_ids()), conn.llen(INGEST_INBOX))


def refused(cfg, sub: Submission, field: str, *fragments: str) -> SubmissionError:
    before = state(cfg)
    with pytest.raises(SubmissionError) as err:
        submit(sub, cfg)
    assert err.value.field == field, str(err.value)
    for fragment in fragments:
        assert fragment in err.value.message, err.value.message
    assert "\n" not in str(err.value)
    assert state(cfg) == before, "a refused submission stores and enqueues nothing"
    return err.value


def with_settings(cfg, **changes):
    return dataclasses.replace(cfg, **changes)


# -- the revision ------------------------------------------------------------------------------------


def test_a_branch_resolves_to_its_sha_and_params_come_from_the_headers(cfg, tiny_repo):
    from safetensors import safe_open

    repo, shas = tiny_repo
    req = submit(Submission(str(repo), revision="main", model_id=TINY), cfg)
    assert req.sha == shas[-1] and req.status == RequestStatus.PENDING
    weights = subprocess.run(["git", "-C", str(repo), "show", f"{shas[-1]}:model.safetensors"],
                             capture_output=True, check=True).stdout
    real = 0
    tmp = cfg.home / "weights.safetensors"
    tmp.write_bytes(weights)
    with safe_open(tmp, "np") as fh:
        for key in fh.keys():
            real += fh.get_tensor(key).size
    assert req.params == round(real / 1e9, 6) and req.params > 0
    assert req.fingerprint == {"model.safetensors": hashlib.sha256(weights).hexdigest()}
    assert req.license == "apache-2.0" and req.architectures == "LlamaForCausalLM"
    assert [p.name for p in cfg.requests_dir.glob("*.json")] == [f"{req.request_id}.json"]
    assert REQUEST_ID.match(req.request_id), "request files are named by request id, never by model id"
    assert evaluation_queue(connect(cfg.redis_url)).get_job_ids() == [req.job_id]

    short = submit(Submission(str(repo), revision=shas[0][:8], model_id=TINY), cfg)
    assert short.sha == shas[0], "a short sha resolves to the full commit"


def test_the_exact_parameter_count_equals_the_models(tiny_repo):
    from transformers import AutoModelForCausalLM

    from evaluator.checks import inspect_model
    from evaluator.sources import LocalGitSource

    repo, shas = tiny_repo
    facts = inspect_model(LocalGitSource.open(repo, shas[0]), "float32", False, 150.0)
    with LocalGitSource.open(repo, shas[0]).checkout() as folder:
        model = AutoModelForCausalLM.from_pretrained(folder)
    assert facts.params == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("revision", ["no-such-branch", "0" * 40, "--upload-pack=x"])
def test_an_unknown_revision_is_refused(cfg, tiny_repo, revision):
    refused(cfg, Submission(str(tiny_repo[0]), revision=revision, model_id=TINY), "revision", repr(revision))


def test_a_folder_that_is_not_a_git_repository_is_refused(cfg, tmp_path):
    (tmp_path / "plain").mkdir()
    refused(cfg, Submission(str(tmp_path / "plain"), model_id=TINY), "model", "not a local git repository")


# -- one defect each -----------------------------------------------------------------------------------

DEFECTS = [
    ("auto_map", {}, "config", [TRUST_REMOTE_CODE, "auto_map"]),
    ("unknown_model_type", {}, "config", ["'tiny-llama-unheard-of' is not known to transformers", TRUST_REMOTE_CODE]),
    ("not_causal", {}, "config", ["'distilbert' cannot be loaded as a causal language model", "accepted"]),
    ("pickle_weights", {}, "weights", ["pytorch_model.bin", "only safetensors weights are accepted"]),
    ("corrupt_safetensors", {}, "weights", ["model.safetensors is truncated or corrupt"]),
    ("no_license", {}, "license", ["no license", "license: <id>"]),
    ("no_card", {}, "model_card", ["README.md", "license"]),
    ("no_chat_template", {"use_chat_template": True, "model_type": "chat"}, "use_chat_template",
     ["no chat template", "submit without use_chat_template"]),
]


@pytest.mark.parametrize(("kind", "extra", "field", "fragments"), DEFECTS, ids=[d[0] for d in DEFECTS])
def test_a_defect_is_refused_naming_its_field(cfg, bad_repo, kind, extra, field, fragments):
    refused(cfg, Submission(str(bad_repo(kind)), model_id=f"bad/{kind.replace('_', '-')}", **extra), field,
            *fragments)


def test_no_chat_template_is_fine_when_none_is_asked_for(cfg, bad_repo):
    req = submit(Submission(str(bad_repo("no_chat_template")), model_id="bad/no-template", model_type="chat"), cfg)
    assert req.status == RequestStatus.PENDING


def test_custom_tokenizer_code_is_refused(cfg, repo_copy):
    def tokenizer_auto_map(dest: Path) -> None:
        tc = json.loads((dest / "tokenizer_config.json").read_text())
        tc["auto_map"] = {"AutoTokenizer": ["tokenization_tiny.TinyTokenizer", None]}
        (dest / "tokenizer_config.json").write_text(json.dumps(tc))

    repo, _ = repo_copy(tokenizer_auto_map)
    refused(cfg, Submission(str(repo), model_id=TINY), "tokenizer", TRUST_REMOTE_CODE)


def _header(tensors: dict, data_len: int) -> bytes:
    raw = json.dumps(tensors).encode()
    return struct.pack("<Q", len(raw)) + raw + b"\0" * data_len


@pytest.mark.parametrize(("content", "fragment"), [
    (b"\x07\x00", "truncated (no safetensors header)"),
    (struct.pack("<Q", 10**12) + b"{}", "corrupt or truncated (header length"),
    (struct.pack("<Q", 5) + b"nope!", "not JSON"),
    (_header({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, 8), "truncated or corrupt: expected"),
    (_header({"w": {"dtype": "F32"}}, 0), "tensor 'w' has no valid shape/offsets"),
    (_header({}, 0), "holds no tensors"),
], ids=["tiny", "huge-header", "not-json", "truncated-data", "no-shape", "empty"])
def test_broken_safetensors_are_refused(cfg, repo_copy, content, fragment):
    repo, _ = repo_copy(lambda dest: (dest / "model.safetensors").write_bytes(content))
    refused(cfg, Submission(str(repo), model_id=TINY), "weights", "model.safetensors", fragment)


# -- GGUF ---------------------------------------------------------------------------------------------


def _write_gguf(path: Path, *, chat_template: bool) -> int:
    import gguf
    import numpy as np

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_block_count(1)
    writer.add_token_list([f"t{i}" for i in range(300)])
    if chat_template:
        writer.add_chat_template("{{ messages }}")
    writer.add_tensor("token_embd.weight", np.zeros((300, 8), dtype=np.float32))
    writer.add_tensor("output_norm.weight", np.ones(8, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return 300 * 8 + 8


def test_gguf_params_and_template_come_from_its_header(cfg, repo_copy, tiny_repo):
    counts = {}
    repo, sha = repo_copy(lambda dest: counts.setdefault("n", _write_gguf(dest / "tiny.gguf", chat_template=True)))
    req = submit(Submission(str(repo), precision="gguf", use_chat_template=True, model_id=TINY), cfg)
    assert (req.sha, req.gguf_file, req.params) == (sha, "tiny.gguf", round(counts["n"] / 1e9, 6))
    assert list(req.fingerprint) == ["tiny.gguf"]

    refused(cfg, Submission(str(tiny_repo[0]), precision="gguf", model_id=TINY), "precision", "needs a .gguf file")


def test_gguf_without_a_template_or_with_a_bad_header_is_refused(cfg, repo_copy):
    plain, _ = repo_copy(lambda dest: _write_gguf(dest / "tiny.gguf", chat_template=False), "plain")
    refused(cfg, Submission(str(plain), precision="gguf", use_chat_template=True, model_id=TINY),
            "use_chat_template", "no chat template")
    bad, _ = repo_copy(lambda dest: (dest / "tiny.gguf").write_bytes(b"NOTGGUF" + b"\0" * 64), "bad")
    refused(cfg, Submission(str(bad), precision="gguf", model_id=TINY), "weights", "tiny.gguf is not a GGUF file")

    def truncate(dest: Path) -> None:
        _write_gguf(dest / "tiny.gguf", chat_template=True)
        (dest / "tiny.gguf").write_bytes((dest / "tiny.gguf").read_bytes()[:100])

    cut, _ = repo_copy(truncate, "cut")
    refused(cfg, Submission(str(cut), precision="gguf", model_id=TINY), "weights", "tiny.gguf is truncated")


# -- the form -----------------------------------------------------------------------------------------

FORM = [
    ({"precision": "int3"}, "precision", ["'int3' is not accepted", "float32, float16, bfloat16, 8bit, 4bit, gguf"]),
    ({"weight_type": "Merged"}, "weight_type", ["'Merged'", "Original, Delta, Adapter"]),
    ({"model_type": "instruct"}, "model_type", ["pretrained, continuously-pretrained, fine-tuned, chat, merge"]),
    ({"weight_type": "Delta"}, "base_model", ["Delta needs the base model", "Original"]),
    ({"weight_type": "Adapter"}, "base_model", ["Adapter needs the base model"]),
    ({"weight_type": "Adapter", "base_model": "demo/base"}, "weight_type", ["adapter_config.json"]),
    ({"weight_type": "Delta", "base_model": "../etc"}, "base_model", ["not a valid model id"]),
]


@pytest.mark.parametrize(("fields", "field", "fragments"), FORM, ids=[f[1] + "-" + str(i) for i, f in enumerate(FORM)])
def test_form_fields_are_checked(cfg, tiny_repo, fields, field, fragments):
    refused(cfg, Submission(str(tiny_repo[0]), model_id=TINY, **fields), field, *fragments)


def test_delta_with_a_base_model_is_accepted(cfg, tiny_repo):
    req = submit(Submission(str(tiny_repo[0]), weight_type="Delta", base_model="demo/base", model_id=TINY), cfg)
    assert (req.weight_type, req.base_model) == ("Delta", "demo/base")


def test_the_size_limit_is_a_setting(cfg, tiny_repo):
    small = with_settings(cfg, max_params_b=0.00001)
    refused(small, Submission(str(tiny_repo[0]), model_id=TINY), "model", "above this leaderboard's limit of 1e-05B",
            "LLMBOARD_MAX_PARAMS_B")
    assert submit(Submission(str(tiny_repo[0]), model_id=TINY), with_settings(cfg, max_params_b=0.001))


@pytest.mark.parametrize("bad", ["../../etc/passwd", "a/b/c", "org/na me", "org/" + "x" * 200, "org", "org/..",
                                 "/abs/path", "org/name\n", ".hidden/name", "org/name.."])
def test_model_ids_are_validated(cfg, tiny_repo, bad):
    refused(cfg, Submission(str(tiny_repo[0]), model_id=bad), "model_id", "not a valid model id", "'org/name'")


@pytest.mark.parametrize("bad", ["a/b/c", "org/na me", "org/" + "x" * 200, "org/name\n"])
def test_hub_ids_are_validated_before_any_lookup(cfg, bad, monkeypatch):
    monkeypatch.setattr("evaluator.sources.HubSource.open", lambda *a: pytest.fail("looked up an invalid id"))
    refused(cfg, Submission(bad), "model", "not a valid model id")


# -- earlier requests ----------------------------------------------------------------------------------


def test_duplicates_are_refused_with_a_pointer_to_the_request(cfg, tiny_repo):
    repo, shas = tiny_repo
    first = submit(Submission(str(repo), revision=shas[0], model_id=TINY), cfg)
    err = refused(cfg, Submission(str(repo), revision=shas[0], model_id=TINY), "model",
                  f"request {first.request_id} (PENDING)", "a new commit or another precision is welcome")
    assert shas[0][:10] in err.message
    store = RequestStore(cfg.requests_dir)
    store.transition(first.request_id, RequestStatus.RUNNING, "worker")
    refused(cfg, Submission(str(repo), revision="main~2", model_id=TINY), "model", "(RUNNING)")
    store.transition(first.request_id, RequestStatus.FINISHED, "done")
    refused(cfg, Submission(str(repo), revision=shas[0], model_id=TINY), "model", "(FINISHED)")

    assert submit(Submission(str(repo), revision=shas[1], model_id=TINY), cfg).sha == shas[1]  # a new commit
    assert submit(Submission(str(repo), revision=shas[0], precision="bfloat16", model_id=TINY), cfg)  # a precision
    failed = submit(Submission(str(repo), revision=shas[0], precision="float16", model_id=TINY), cfg)
    store.transition(failed.request_id, RequestStatus.FAILED, "bad")
    assert submit(Submission(str(repo), revision=shas[0], precision="float16", model_id=TINY), cfg), \
        "a FAILED request may be submitted again"


def test_the_rate_limit_counts_per_sender_and_exempts_maintainers(cfg, tiny_repo):
    repo, shas = tiny_repo
    limited = with_settings(cfg, rate_limit=2)
    for sha in shas[:2]:
        submit(Submission(str(repo), revision=sha, model_id=TINY, sender="alice"), limited)
    refused(limited, Submission(str(repo), revision=shas[2], model_id=TINY, sender="alice"), "sender",
            "alice submitted 2 models in the last 7 days", "limit is 2 per 7 days", "LLMBOARD_RATE_LIMIT")
    refused(limited, Submission(str(repo), revision=shas[2], model_id=TINY, sender="alice", admin_token="wrong"),
            "sender", "maintainers are exempt")
    assert submit(Submission(str(repo), revision=shas[2], model_id=TINY, sender="bob"), limited)
    assert submit(Submission(str(repo), revision=shas[2], precision="bfloat16", model_id=TINY, sender="alice",
                             admin_token=cfg.admin_token), limited)


def test_a_copy_under_another_name_is_accepted_and_flagged(cfg, redis_conn, tiny_repo):
    from llmboard.ingestd import serve
    from warehouse import queries

    repo, shas = tiny_repo
    original = submit(Submission(str(repo), revision=shas[0], model_id="demo/original"), cfg)
    assert original.copy_of is None
    again = submit(Submission(str(repo), revision=shas[0], precision="bfloat16", model_id="demo/original"), cfg)
    assert again.copy_of is None, "the same model in another precision is no copy"
    serve(cfg, redis_conn, burst=True)
    assert queries.model_flags(cfg.home).height == 0

    copy = submit(Submission(str(repo), revision=shas[0], model_id="thief/renamed"), cfg)
    assert copy.status == RequestStatus.PENDING and copy.copy_of == "demo/original"
    assert copy.fingerprint == original.fingerprint
    serve(cfg, redis_conn, burst=True)
    flags = queries.model_flags(cfg.home).to_dicts()
    assert [(f["model_id"], f["kind"], f["author"], f["status"]) for f in flags] == [
        ("thief/renamed", "unattributed-copy", "llmboard", "open")]
    assert "demo/original" in flags[0]["reason"]

    # Submitting the copy again in another precision raises no second flag.
    submit(Submission(str(repo), revision=shas[0], precision="bfloat16", model_id="thief/renamed"), cfg)
    serve(cfg, redis_conn, burst=True)
    assert queries.model_flags(cfg.home).height == 1


# -- the CLI ------------------------------------------------------------------------------------------


def test_the_cli_prints_a_refusal_as_one_line(cfg, bad_repo):
    from llmboard.cli import main

    out = CliRunner().invoke(main, ["submit", str(bad_repo("no_license")), "--model-id", "bad/no-license"])
    assert out.exit_code == 1
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: submission refused: license: the model card has no license")
    assert not list(cfg.requests_dir.glob("*.json"))

