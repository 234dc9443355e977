"""Every query the dashboard and the CLI need. All read through the versioned read snapshot."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from warehouse.benchmarks import suite as suite_by_name
from warehouse.read import reader
from warehouse.search import parse_search

CATEGORIES = ("pretrained", "continuously-pretrained", "fine-tuned", "chat", "merge")
SUITE_ORDER = ("offline", "leaderboard", "leaderboard_v1", "other")


def _frame(home: Path, sql: str, params: list | None = None) -> pl.DataFrame:
    out = reader(home).frame(sql, params)
    return out if out is not None else pl.DataFrame()


def ingest_version(home: Path) -> int:
    """Changes whenever the writer publishes new data: a cache key for the dashboard."""
    return reader(home).version


def available_suites(home: Path) -> list[str]:
    df = _frame(home, "SELECT DISTINCT suite FROM leaderboard")
    found = set(df["suite"].to_list()) if df.height else set()
    return [s for s in SUITE_ORDER if s in found] + sorted(found - set(SUITE_ORDER))


def default_suite(home: Path) -> str | None:
    suites = available_suites(home)
    return suites[0] if suites else None


def benchmark_columns(suite: str) -> list[tuple[str, str]]:
    """(key, display name) of the suite's benchmarks, in the leaderboard's column order."""
    try:
        return [(b.key, b.display) for b in suite_by_name(suite).benchmarks]
    except KeyError:
        return []


def rankings(
    home: Path,
    *,
    suite: str | None = None,
    category: str | None = None,
    precision: str | None = None,
    weight_type: str | None = None,
    params_min: float | None = None,
    params_max: float | None = None,
    license: str | None = None,
    search: str | None = None,
    show_flagged: bool = False,
    show_merged: bool = True,
    show_moe: bool = True,
    all_revisions: bool = False,
    limit: int | None = None,
) -> pl.DataFrame:
    """One row per model + precision (its latest sha and run), best average first, with its rank.

    `static_rank` is the rank in the whole suite; `rank` is the rank within the current filter.
    """
    suite = suite or default_suite(home)
    if suite is None:
        return pl.DataFrame()
    where, params = ["suite = ?"], [suite]
    for column, value in (("model_type", category), ("precision", precision), ("weight_type", weight_type)):
        if value and value != "all":
            where.append(f"{column} = ?")
            params.append(value)
    if license:
        where.append("lower(coalesce(license, '')) = lower(?)")
        params.append(license)
    if params_min is not None:
        where.append("params_b >= ?")
        params.append(params_min)
    if params_max is not None:
        where.append("params_b <= ?")
        params.append(params_max)
    if not show_flagged:
        where.append("NOT flagged")
    if not show_merged:
        where.append("NOT merged")
    if not show_moe:
        where.append("NOT moe")
    cond, search_params = parse_search(search).sql()
    where.append(cond)
    params.extend(search_params)
    table = "leaderboard_revisions" if all_revisions else "leaderboard"
    sql = (
        f"SELECT rank() OVER (ORDER BY average DESC NULLS LAST) AS rank, * FROM {table} "
        f"WHERE {' AND '.join(where)} ORDER BY average DESC NULLS LAST, model_id, precision"
    )
    if limit:
        sql += " LIMIT ?"
        params.append(int(limit))
    return _frame(home, sql, params)
