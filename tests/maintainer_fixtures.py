"""The fixtures the maintainer-workflow tests share: the fixture warehouse built once per session, and a
copy of it for each test (which changes it), with the admin token set and empty Streamlit caches.
Loaded by ``pytest_plugins = ["tests.maintainer_fixtures"]`` in those modules."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import TOKEN
from tests.fixture_warehouse import build_fixture_warehouse


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    home = tmp_path_factory.mktemp("maintainers") / "home"
    build_fixture_warehouse(home, real=False)
    return home


@pytest.fixture
def home(built, tmp_path, monkeypatch):
    import streamlit as st

    home = tmp_path / "home"
    shutil.copytree(built, home)
    monkeypatch.setenv("LLMBOARD_HOME", str(home))
    monkeypatch.setenv("LLMBOARD_ADMIN_TOKEN", TOKEN)
    st.cache_resource.clear()
    st.cache_data.clear()
    return home
