"""The one door every query goes through: a frame read from the warehouse's current read snapshot."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from warehouse.read import reader


def frame(home: Path, sql: str, params: list | None = None) -> pl.DataFrame:
    """The rows of `sql` on the current snapshot; an empty frame while nothing was ingested."""
    out = reader(home).frame(sql, params)
    return out if out is not None else pl.DataFrame()


def ingest_version(home: Path) -> int:
    """Changes whenever the writer publishes new data: a cache key for the dashboard."""
    return reader(home).version


def quote(column: str) -> str:
    """A column name as a SQL identifier (benchmark keys and display columns may need quoting)."""
    return '"' + column.replace('"', '""') + '"'
