"""The flags and maintainers pages under AppTest: flag a model (a badge, not hidden), comment, decide with
the maintainers' token (the buttons appear only with it); remove, restore, rename and relaunch from the
Maintainers page, each in the audit log it shows."""

from __future__ import annotations

import pytest
import streamlit as st

from evaluator.requests import RequestStatus, RequestStore
from tests.conftest import TOKEN
from tests.dashboard_app import offline_board, page, table, widget
from tests.fixture_warehouse import build_fixture_warehouse, writable_copy
from warehouse import queries


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    home = tmp_path_factory.mktemp("dashboard-flags") / "home"
    build_fixture_warehouse(home, real=False)
    return home


@pytest.fixture
def home(built, tmp_path, monkeypatch):
    home = writable_copy(built, tmp_path / "home", monkeypatch)
    st.cache_resource.clear()
    st.cache_data.clear()
    return home


def buttons(at) -> set[str]:
    return {b.key for b in at.button if b.key}


def test_flag_comment_and_confirm_with_the_token(home):
    at = page("flags", model="demo/ft-qwen")
    widget(at.selectbox, "Kind").set_value("wrong-category")
    widget(at.text_area, "Reason").input("this is a chat model")
    at.button[0].click().run()
    assert not at.exception and "Flagged demo/ft-qwen" in at.success[0].value
    fid = queries.model_flags(home, "demo/ft-qwen")["flag_id"][0]
    assert "demo/ft-qwen" in set(offline_board(home)["model_id"])  # an open flag hides nothing

    at = page("leaderboard")
    badges = set(table(at)["🚩"].dropna())
    assert badges == {f"flags?flag={fid}"}  # the badge links to the thread

    at = page("flags", flag=fid)
    at.text_input(key=f"body-{fid}").input("agreed")
    at.button(key=f"comment-{fid}").click().run()
    assert queries.model_flags(home, "demo/ft-qwen")["comments"][0][0]["body"] == "agreed"
    assert f"confirmed-{fid}" not in buttons(at)  # no decision without the token
    widget(at.text_input, "Admin token (maintainers only)").input("wrong").run()
    assert f"confirmed-{fid}" not in buttons(at) and any("wrong" in e.value for e in at.error)

    widget(at.text_input, "Admin token (maintainers only)").input(TOKEN).run()
    widget(at.text_input, "Maintainer name (for the audit log)").input("alice").run()
    at.button(key=f"confirmed-{fid}").click().run()  # no reason
    assert any("reason: must not be empty" in e.value for e in at.error)
    at.text_input(key=f"why-{fid}").input("the card says chat")
    at.button(key=f"confirmed-{fid}").click().run()
    assert not at.exception
    assert queries.model_flags(home, "demo/ft-qwen")["status"][0] == "confirmed"
    assert "demo/ft-qwen" not in set(offline_board(home)["model_id"])
    assert "demo/ft-qwen" in set(offline_board(home, show_flagged=True)["model_id"])
    assert queries.audit_log(home).select("actor", "action", "reason").rows() == [
        ("alice", "confirm-flag", "the card says chat")]


def test_maintainers_page_shows_the_audit_log_and_needs_the_token(home):
    at = page("maintainers")
    assert any("No maintainer action" in i.value for i in at.info)
    assert "Reason for the removal" not in {t.label for t in at.text_input}
    widget(at.text_input, "Admin token (maintainers only)").input("wrong").run()
    assert any("wrong maintainer token" in e.value for e in at.error)
    assert "Reason for the removal" not in {t.label for t in at.text_input}


def test_remove_restore_and_rename_from_the_maintainers_page(home):
    at = page("maintainers")
    widget(at.text_input, "Admin token (maintainers only)").input(TOKEN).run()
    widget(at.text_input, "Your name (for the audit log)").input("alice").run()
    widget(at.selectbox, "Model").set_value("acme/moe-8x")
    widget(at.text_input, "Reason for the removal").input("wrong parameter count")
    at.button(key="FormSubmitter:remove-Remove").click().run()
    assert not at.exception and any("Removed" in s.value for s in at.success), [e.value for e in at.error]
    assert "acme/moe-8x" not in set(offline_board(home, show_flagged=True)["model_id"])
    assert table(at, 0)["action"].to_list() == ["remove"]  # the audit log, refreshed
    assert table(at, 1)["reason"].to_list() == ["wrong parameter count"]  # the removals, with their reasons

    widget(at.text_input, "Reason for the restore").input("fixed")
    at.button(key="FormSubmitter:restore-Restore").click().run()
    assert "acme/moe-8x" in set(offline_board(home, show_flagged=True)["model_id"])

    widget(at.selectbox, "Current name").set_value("demo/ft-qwen")
    widget(at.text_input, "New name (org/name)").input("demo/chat-mistral")  # exists: refused
    widget(at.text_input, "Reason for the rename").input("moved")
    at.button(key="FormSubmitter:rename-Rename").click().run()
    assert any("is a model already" in e.value for e in at.error)
    widget(at.text_input, "New name (org/name)").input("demo/qwen-ft")
    widget(at.text_input, "Reason for the rename").input("moved")
    at.button(key="FormSubmitter:rename-Rename").click().run()
    assert not at.exception and any("Renamed" in s.value for s in at.success)
    found = queries.rankings(home, suite="offline", search="demo/ft-qwen", columns=["model_id", "renamed_from"])
    assert set(found["model_id"]) == {"demo/qwen-ft"} and set(found["renamed_from"]) == {"demo/ft-qwen"}
    assert queries.audit_log(home)["action"].to_list() == ["rename", "restore", "remove"]
    assert set(queries.audit_log(home)["actor"]) == {"alice"}


def test_relaunch_from_the_maintainers_page(cfg, tmp_path):
    fx = build_fixture_warehouse(cfg.home, real=False)
    st.cache_data.clear()
    failed = fx.requests["FAILED"]
    at = page("maintainers")
    widget(at.text_input, "Admin token (maintainers only)").input(TOKEN).run()
    widget(at.text_input, "Reason for the relaunch").input("the gguf file was added")
    at.button(key="relaunch_one").click().run()
    assert not at.exception and any("queued again" in s.value for s in at.success), [e.value for e in at.error]
    again = RequestStore(cfg.requests_dir).load(failed)
    assert again.status == RequestStatus.PENDING
    assert [h["status"] for h in again.history] == ["PENDING", "RUNNING", "FAILED", "PENDING"]
    assert queries.audit_log(cfg.home).select("action", "target").rows() == [("relaunch", failed)]
