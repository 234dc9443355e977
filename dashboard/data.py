"""The dashboard's access to the warehouse: cached per ingest version, so new results show up at once.

Every page calls `data.query("<warehouse.queries function>", ...)`; the cache key includes the
warehouse's ingest version, so a newly published snapshot is read on the next rerun (no restart).
Live request records (the queue) are read from the request store, uncached.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import streamlit as st

from core.settings import Config
from evaluator.requests import Request, RequestStore
from warehouse import queries
from warehouse.search import SearchError


def config() -> Config:
    """Read from the environment on each call (~0.1 ms): never a stale home from an earlier app run."""
    return Config.from_env()


def home() -> Path:
    return config().home


def version() -> int:
    return queries.ingest_version(home())


@st.cache_data(show_spinner=False, max_entries=512)
def _call(version: int, home: Path, name: str, args: tuple, kwargs: tuple):
    return getattr(queries, name)(home, *args, **dict(kwargs))


def query(name: str, *args, **kwargs):
    """`warehouse.queries.<name>(home, *args, **kwargs)`, cached until the next ingest."""
    h = home()
    return _call(queries.ingest_version(h), h, name, args, tuple(sorted(kwargs.items())))


def model_names(*args) -> list[str]:
    """Ids of the evaluated models (optionally of one suite), for a model picker."""
    models = query("model_choices", *args)
    return models["model_id"].to_list() if models.height else []


def rankings(**filters) -> pl.DataFrame:
    return query("rankings", **filters)


def whole_rankings(filters: dict, columns: list[str]) -> pl.DataFrame:
    """Every row of a rankings view, uncached: for a download, built only when one is asked for."""
    return queries.rankings(home(), **filters, columns=columns)


def pinned_rows(suite: str, models: list[str], columns: list[str]) -> pl.DataFrame:
    """The leaderboard rows of the given model ids (flagged or not), whatever the filter; unknown ids have none."""
    try:
        rows = rankings(suite=suite, show_flagged=True, search="; ".join(models), columns=columns)
    except SearchError:  # a typed id the search syntax rejects names no model
        return pl.DataFrame(schema={"model_id": pl.String})
    return rows.filter(pl.col("model_id").is_in(models)) if rows.height else rows


def suites() -> list[str]:
    return query("available_suites")


def requests() -> list[Request]:
    """Every live request record (PENDING, RUNNING with progress, FINISHED, FAILED), oldest first."""
    folder = config().requests_dir
    return RequestStore(folder).all() if folder.exists() else []
