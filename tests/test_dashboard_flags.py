"""The flags page under AppTest: flag a model, comment, resolve with the maintainers' token."""

from __future__ import annotations

import streamlit as st

from tests.dashboard_app import offline_board, page, widget
from tests.fixture_warehouse import build_fixture_warehouse
from warehouse import queries

pytest_plugins = ["tests.dashboard_fixtures"]


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


