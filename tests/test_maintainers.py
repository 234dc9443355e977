"""Maintainers' workflows on the fixture warehouse: remove and restore entries, rename a model, the audit
log; each refused without the admin token, each through the real writer, read back through the queries, the
export and the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from evaluator.maintainers import rename as rename_everywhere
from evaluator.requests import RequestStore
from llmboard.cli import main
from tests.conftest import TOKEN
from tests.fixture_warehouse import MODELS, build_fixture_warehouse, writable_copy
from warehouse import export, maintenance, queries
from warehouse.maintenance import MaintenanceError, NotAllowed


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture warehouse, built once; each test changes a copy of it."""
    home = tmp_path_factory.mktemp("maintainers") / "home"
    build_fixture_warehouse(home, real=False)
    return home


@pytest.fixture
def home(built, tmp_path, monkeypatch):
    home = writable_copy(built, tmp_path / "home", monkeypatch)
    return home


def board(home, **filters) -> set[tuple[str, str]]:
    df = queries.rankings(home, suite="offline", show_flagged=True, **filters)
    return set(zip(df["model_id"], df["precision"], strict=True)) if df.height else set()


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


def test_remove_is_refused_without_the_token_and_changes_nothing(home):
    before = board(home)
    for token in (None, "wrong"):
        with pytest.raises(NotAllowed, match="admin_token"):
            maintenance.remove(home, "demo/chat-mistral", reason="r", token=token, admin_token=TOKEN)
    with pytest.raises(NotAllowed, match="disabled"):
        maintenance.remove(home, "demo/chat-mistral", reason="r", token=TOKEN, admin_token="")
    out = cli("remove", "demo/chat-mistral", "--reason", "broken", "--token", "nope")
    assert out.exit_code != 0 and out.output.strip().count("\n") == 0 and "admin_token" in out.output
    assert board(home) == before and queries.audit_log(home).height == 0


def test_remove_hides_an_entry_everywhere_keeps_its_runs_and_restore_brings_it_back(home):
    model = "demo/chat-mistral"
    runs_before = queries.model_runs(home, model).height
    exported = export.contents_frame(home, "offline")
    assert (exported["model"] == model).sum() == 3

    out = cli("remove", model, "--precision", "4bit", "--reason", "evaluated with a broken tokenizer",
              "--by", "alice")
    assert out.exit_code == 0, out.output
    assert (model, "4bit") not in board(home) and (model, "float16") in board(home)
    assert (model, "4bit") not in board(home, all_revisions=True)
    assert (model, "4bit") not in board(home, search="mistral")
    assert ((export.contents_frame(home, "offline")["model"] == model).sum()) == 2
    assert queries.model_runs(home, model).height == runs_before  # kept

    removed = queries.removals(home).row(0, named=True)
    assert (removed["model_id"], removed["precision"], removed["runs"]) == (model, "4bit", 1)
    assert removed["reason"] == "evaluated with a broken tokenizer" and removed["removed_by"] == "alice"
    with pytest.raises(MaintenanceError, match="no ranked entry"):  # removed already
        maintenance.remove(home, model, precision="4bit", reason="again", token=TOKEN, admin_token=TOKEN)

    maintenance.remove(home, model, reason="every precision", token=TOKEN, admin_token=TOKEN)
    assert not {m for m, _ in board(home)} & {model}
    assert queries.removals(home).height == 2

    out = cli("restore", model, "--reason", "tokenizer fixed upstream", "--by", "bob")
    assert out.exit_code == 0, out.output
    assert {(model, p) for p in ("float16", "bfloat16", "4bit")} <= board(home)
    assert queries.removals(home).height == 0 and queries.removals(home, holding_only=False).height == 2

    log = queries.audit_log(home)
    assert list(log["action"]) == ["restore", "remove", "remove"]
    assert list(log["actor"]) == ["bob", "maintainer", "alice"]
    assert json.loads(log["details"][2])["precision"] == "4bit"


def test_restore_without_a_removal_and_remove_of_an_unknown_model_are_refused(home):
    with pytest.raises(MaintenanceError, match="no removal"):
        maintenance.restore(home, "demo/ft-qwen", reason="r", token=TOKEN, admin_token=TOKEN)
    out = cli("remove", "nobody/nothing", "--reason", "r")
    assert out.exit_code != 0 and "no model 'nobody/nothing'" in out.output
    out = cli("remove", "demo/ft-qwen", "--reason", " ")
    assert out.exit_code != 0 and "reason: must not be empty" in out.output


def test_rename_moves_requests_runs_and_flags_and_searching_the_old_name_finds_it(home, cfg):
    old, mid, new = "demo/ft-qwen", "demo/qwen-ft", "acme/qwen-ft"
    runs = set(queries.model_runs(home, old)["run_id"])
    requests = set(queries.model_requests(home, old)["request_id"])
    from warehouse import flags

    flag_id = flags.flag_model(home, old, "wrong-category", "a chat model", "carol")
    with pytest.raises(NotAllowed):
        rename_everywhere(cfg, old, mid, reason="moved", token="wrong")
    with pytest.raises(MaintenanceError, match="is a model already"):
        rename_everywhere(cfg, old, "demo/chat-mistral", reason="merge", token=TOKEN)

    rename_everywhere(cfg, old, mid, reason="the hub repository moved", token=TOKEN, by="alice")
    out = cli("rename", mid, new, "--reason", "moved again")
    assert out.exit_code == 0, out.output

    assert set(queries.model_runs(home, new)["run_id"]) == runs and queries.model_runs(home, old).height == 0
    assert set(queries.model_requests(home, new)["request_id"]) == requests
    assert list(queries.model_flags(home, new)["flag_id"]) == [flag_id]
    assert {r.model for r in RequestStore(cfg.requests_dir).all() if r.request_id in requests} == {new}
    found = queries.rankings(home, suite="offline", search=old, columns=["model_id", "renamed_from"])
    assert set(found["model_id"]) == {new} and set(found["renamed_from"]) == {f"{old}, {mid}"}
    assert old not in {m for m, _ in board(home)} and (new, "bfloat16") in board(home)
    with pytest.raises(MaintenanceError, match=f"renamed to {new}"):
        rename_everywhere(cfg, old, "demo/other", reason="r", token=TOKEN)
    assert queries.renamed(home, old).new == new and queries.renamed(home, mid).new == new

    rename_everywhere(cfg, new, old, reason="back to the first name", token=TOKEN)  # onto an earlier name
    assert queries.renamed(home, old) is None and queries.renamed(home, new).new == old
    assert set(queries.model_runs(home, old)["run_id"]) == runs
    assert list(queries.audit_log(home)["action"]) == ["rename", "rename", "rename"]
    assert list(queries.audit_log(home)["actor"])[-1] == "alice"


def test_a_removal_follows_the_model_through_a_rename(home, cfg):
    maintenance.remove(home, "demo/cp-phi", reason="contaminated", token=TOKEN, admin_token=TOKEN)
    rename_everywhere(cfg, "demo/cp-phi", "demo/phi-cp", reason="moved", token=TOKEN)
    assert not {m for m, _ in board(home)} & {"demo/cp-phi", "demo/phi-cp"}
    assert list(queries.removals(home)["model_id"]) == ["demo/phi-cp"]
    maintenance.restore(home, "demo/phi-cp", reason="clean after all", token=TOKEN, admin_token=TOKEN)
    assert ("demo/phi-cp", "bfloat16") in board(home)


def test_audit_lists_every_action_as_text_and_json(home):
    assert "nothing yet" in cli("audit").output
    maintenance.remove(home, "acme/moe-8x", reason="wrong parameter count", token=TOKEN, admin_token=TOKEN,
                       by="dana")
    rows = json.loads(cli("audit", "--json").output)
    assert [(r["actor"], r["action"], r["target"], r["reason"]) for r in rows] == [
        ("dana", "remove", "acme/moe-8x", "wrong parameter count")]
    assert "wrong parameter count" in cli("audit").output
    assert set(MODELS) - {"acme/moe-8x"} == {m for m, _ in board(home)}


def test_a_run_that_finishes_after_a_rename_lands_under_the_new_name(home, cfg, tmp_path):
    from datetime import UTC, datetime

    from tests.fixture_warehouse import make_request, sha_of, write_bundle
    from warehouse.ingest import Writer

    old, new = "demo/ft-qwen", "acme/qwen-ft"
    req = make_request(old, sha_of(old, 0), "8bit", datetime(2026, 1, 2, tzinfo=UTC))  # running while renamed
    bundle = write_bundle(tmp_path / "late", req, 0, datetime(2026, 1, 2, 1, tzinfo=UTC))
    rename_everywhere(cfg, old, new, reason="the hub repository moved", token=TOKEN)
    with Writer(home, wait_message=None) as w:
        assert w.ingest_bundle(bundle)
    late = queries.model_runs(home, new).filter(queries.model_runs(home, new)["precision"] == "8bit")
    assert late.height == 1 and queries.model_runs(home, old).height == 0
