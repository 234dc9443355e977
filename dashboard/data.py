"""The dashboard's access to the warehouse: cached per ingest version, so new results show up at once.

Pages call `data.cached(queries.<function>, ...)`: the function itself, so a search for a query's name
finds its pages. The cache key includes the warehouse's ingest version, so a newly published snapshot
is read on the next rerun (no restart). Live request records (the queue) are read from the request
store, uncached.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import polars as pl
import streamlit as st

from core.settings import Config
from evaluator.requests import Request, RequestStore
from warehouse import queries
from warehouse.queries import SearchError

P = ParamSpec("P")
R = TypeVar("R")


def config() -> Config:
    """Read from the environment on each call (~0.1 ms): never a stale home from an earlier app run."""
    return Config.from_env()


def home() -> Path:
    return config().home


def version() -> int:
    return queries.ingest_version(home())


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_call(version: int, home: Path, name: str, _query: Callable, args: tuple, kwargs: tuple):
    # `name` keys the cache; `_query` (not hashed: a leading underscore) is the function it names
    return _query(home, *args, **dict(kwargs))


def cached(query: Callable[Concatenate[Path, P], R], *args: P.args, **kwargs: P.kwargs) -> R:
    """`query(home, *args, **kwargs)` (a function of warehouse.queries), cached until the next ingest."""
    h = home()
    queries.hold_rankings_in_memory(h)  # a long-lived reader: the leaderboard's rows are kept in memory
    name = f"{query.__module__}.{query.__qualname__}"
    return _cached_call(queries.ingest_version(h), h, name, query, args, tuple(sorted(kwargs.items())))


def model_names(suite: str | None = None) -> list[str]:
    """Ids of the evaluated models (optionally of one suite), for a model picker."""
    models = cached(queries.model_choices, suite)
    return models["model_id"].to_list() if models.height else []


def whole_rankings(filters: dict, columns: list[str]) -> pl.DataFrame:
    """Every row of a rankings view, uncached: for a download, built only when one is asked for."""
    return queries.rankings(home(), **filters, columns=columns)


def pinned_rows(suite: str, models: list[str], columns: list[str]) -> pl.DataFrame:
    """The leaderboard rows of the given model ids (flagged or not), whatever the filter; unknown ids have none."""
    try:
        rows = cached(queries.rankings, suite=suite, show_flagged=True, search="; ".join(models), columns=columns)
    except SearchError:  # a typed id the search syntax rejects names no model
        return pl.DataFrame(schema={"model_id": pl.String})
    return rows.filter(pl.col("model_id").is_in(models)) if rows.height else rows


def suites() -> list[str]:
    return cached(queries.available_suites)


def requests() -> list[Request]:
    """Every live request record (PENDING, RUNNING with progress, FINISHED, FAILED), oldest first."""
    folder = config().requests_dir
    return RequestStore(folder).all() if folder.exists() else []
