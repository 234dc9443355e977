"""The dashboard's access to the warehouse: cached per ingest version, so new results show up at once."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from llmboard.settings import Config
from warehouse import queries


@st.cache_resource
def config() -> Config:
    return Config.from_env()


def home() -> Path:
    return config().home


def version() -> int:
    return queries.ingest_version(home())


@st.cache_data(show_spinner=False, max_entries=256)
def _rankings(version: int, home: Path, **filters):
    return queries.rankings(home, **filters)


def rankings(**filters):
    return _rankings(version(), home(), **filters)


@st.cache_data(show_spinner=False)
def _suites(version: int, home: Path) -> list[str]:
    return queries.available_suites(home)


def suites() -> list[str]:
    return _suites(version(), home())
