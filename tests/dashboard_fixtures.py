"""The fixtures the dashboard's tests share: the fixture warehouse, built once a session, and a `home`
pointing the app at it with empty Streamlit caches. Loaded by ``pytest_plugins = ["tests.dashboard_fixtures"]``
in each tests/test_dashboard_*.py module."""

from __future__ import annotations

import pytest
import streamlit as st

from tests.fixture_warehouse import build_fixture_warehouse


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
