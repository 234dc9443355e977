"""The leaderboard's rows: one entry per model and precision, filtered, ranked and paged; the filters' facets."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import polars as pl

from warehouse.leaderboard import COMPUTED_COLUMNS, ENTRY_COLUMNS, benchmark_fields
from warehouse.queries.snapshot import frame, quote
from warehouse.queries.suites import benchmark_columns, default_suite
from warehouse.read import reader
from warehouse.search import parse_search
from warehouse.statistics import RankBounds, rank_bounds, rank_range

ORDER = "average DESC NULLS LAST, model_id, precision"
RANK = "rank() OVER (ORDER BY average DESC NULLS LAST) AS rank"
# the same order as a sortable key, for min_by: NULL averages last
ORDER_KEY = "{'a': coalesce(-average, 'inf'::DOUBLE), 'm': model_id, 'p': precision}"


class RankingsView(NamedTuple):
    suite: str
    table: str
    cond: str  # the WHERE condition, with `params`
    params: list
    searches_names: bool  # a text search: every name is scanned


def _rankings_filter(
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
) -> RankingsView | None:
    """The table and condition of a rankings view; None when nothing was ingested."""
    suite = suite or default_suite(home)
    if suite is None:
        return None
    where, params = ["suite = ?"], [suite]
    for column, value in (("model_type", category), ("precision", precision), ("weight_type", weight_type)):
        if value and value != "all":
            where.append(f"{column} = ?")
            params.append(value)
    if license:
        where.append("license_key = lower(?)")
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
    parsed = parse_search(search)
    clauses, values = parsed.sql()
    table = "leaderboard_revisions" if all_revisions else "leaderboard"
    return RankingsView(suite, table, " AND ".join(where + clauses), params + values, bool(parsed.names))


def rankings_columns(suite: str) -> list[str]:
    """The columns `rankings` returns by default (after `rank`): entry metadata, then the suite's benchmarks."""
    return [*ENTRY_COLUMNS, *(c for key, _ in benchmark_columns(suite) for c in benchmark_fields(key))]


def view_rank_bounds(home: Path, **filters) -> RankBounds | None:
    """The sorted interval bounds of every row of a view (its average's 95% interval, or the average where
    the run has none): what each row's rank range is counted against. Two float columns, no join."""
    view = _rankings_filter(home, **filters)
    if view is None:
        return None
    rows = frame(home, f"SELECT average, ci_low, ci_high FROM {view.table} WHERE {view.cond}", view.params)
    return rank_bounds(rows["average"].to_list(), rows["ci_low"].to_list(), rows["ci_high"].to_list()) \
        if rows.height else None


def add_rank_ranges(rows: pl.DataFrame, bounds: RankBounds | None) -> pl.DataFrame:
    """``rows`` of a view (with ``average``, ``ci_low``, ``ci_high``) with ``rank_best`` and ``rank_worst``:
    the best and worst rank their intervals allow among the view (``warehouse.statistics.rank_range``)."""
    if bounds is None or not rows.height or "ci_low" not in rows.columns:
        return rows
    best, worst = rank_range(bounds, rows["average"].to_list(), rows["ci_low"].to_list(), rows["ci_high"].to_list())
    return rows.with_columns(rank_best=pl.Series(best, dtype=pl.Int64), rank_worst=pl.Series(worst, dtype=pl.Int64))


def with_rank_ranges(home: Path, rows: pl.DataFrame, **filters) -> pl.DataFrame:
    """``add_rank_ranges`` against the view of these filters."""
    return add_rank_ranges(rows, view_rank_bounds(home, **filters))


def rankings(
    home: Path,
    *,
    limit: int | None = None,
    offset: int = 0,
    columns: list[str] | None = None,
    **filters,
) -> pl.DataFrame:
    """One row per model + precision (its latest sha and run), best average first, with its rank.

    Filters: suite, category, precision, weight_type, params_min, params_max, license, search,
    show_flagged (False), show_merged (True), show_moe (True), all_revisions (False).
    `static_rank` is the rank in the whole suite; `rank` is the rank within the current filter.
    `limit` / `offset` page through the result (a page costs what its rows cost, not the whole table);
    `columns` picks columns (default: `rankings_columns(suite)`); `rank` always comes first.
    """
    view = _rankings_filter(home, **filters)
    if view is None:
        return pl.DataFrame()
    picked = _picked(view.suite, columns)
    with reader(home).pinned_version() as (cur, version):
        if cur is None:
            return pl.DataFrame()
        if limit:
            return _page(home, cur, version, view, picked, int(limit), int(offset), count=False)[0]
        sql = (f"SELECT {RANK}, {_select(picked)} FROM {view.table} WHERE {view.cond} ORDER BY {ORDER}")
        if offset:
            sql += f" OFFSET {int(offset)}"
        return _with_static_rank(home, cur, version, view, picked, cur.sql(sql, params=view.params).pl())


def rankings_page(home: Path, *, limit: int = 100, offset: int = 0, columns: list[str] | None = None,
                  **filters) -> tuple[pl.DataFrame, int]:
    """A page of `rankings` (rows offset .. offset + limit, ranked within the filter) and the total
    number of rows behind it: what the leaderboard shows. Filters and columns as `rankings`."""
    view = _rankings_filter(home, **filters)
    if view is None:
        return pl.DataFrame(), 0
    with reader(home).pinned_version() as (cur, version):
        if cur is None:
            return pl.DataFrame(), 0
        return _page(home, cur, version, view, _picked(view.suite, columns), int(limit), int(offset), count=True)


def _select(picked: list[str]) -> str:
    """The stored columns of ``picked`` (and ``average``, which a computed rank needs), quoted."""
    stored = [c for c in picked if c not in COMPUTED_COLUMNS]
    if len(stored) < len(picked) and "average" not in stored:
        stored.append("average")
    return ", ".join(quote(c) for c in stored)


def suite_averages(home: Path, cur, version: int, table: str, suite: str) -> np.ndarray:
    """The suite's non-NULL averages in ascending order, read once per snapshot version."""
    def read() -> np.ndarray:
        got = cur.sql(f"SELECT average FROM {table} WHERE suite = ? AND average IS NOT NULL",
                      params=[suite]).fetchnumpy()["average"]
        return np.sort(np.asarray(got, dtype=float))
    return reader(home).memo(version, ("averages", table, suite), read)


def static_ranks(ordered: np.ndarray, averages: list) -> list[int]:
    """Each average's rank in its whole suite (``ordered``: the suite's averages, ascending), as
    ``rank() OVER (ORDER BY average DESC NULLS LAST)`` gives it: 1 + the number of higher averages;
    NULL averages share the rank after the last number."""
    a = np.array([np.nan if x is None else x for x in averages], dtype=float)
    ranks = 1 + len(ordered) - np.searchsorted(ordered, a, side="right")
    return np.where(np.isnan(a), len(ordered) + 1, ranks).astype(int).tolist()


def _with_static_rank(home: Path, cur, version: int, view: RankingsView, picked: list[str],
                      rows: pl.DataFrame) -> pl.DataFrame:
    """``rows`` with the computed columns of ``picked`` in their places (and no ``average`` unless picked)."""
    if "static_rank" not in picked:
        return rows
    ordered = suite_averages(home, cur, version, view.table, view.suite)
    rows = rows.with_columns(static_rank=pl.Series(static_ranks(ordered, rows["average"].to_list()),
                                                   dtype=pl.Int64))
    return rows.select(["rank", *picked])


def _page(home: Path, cur, version: int, view: RankingsView, picked: list[str], limit: int, offset: int, *,
          count: bool) -> tuple[pl.DataFrame, int | None]:
    """Two steps on one snapshot: find the page's rows (and the total, if asked) reading only the filter
    and sort columns, then read the shown columns of those rows alone. Every row ranked above a row of
    the page is among the first offset + limit rows, so ranking those gives each row its rank in the view."""
    table, cond, params, n = view.table, view.cond, view.params, offset + limit
    total = None
    if view.searches_names:
        # a text search scans every name: one pass gives both the count and the first rows
        total, head = cur.sql(  # (a struct: min_by leaves out NULL values, and averages can be NULL)
            f"SELECT count(*), min_by({{'r': rowid, 'a': average}}, {ORDER_KEY}, {n}) "
            f"FROM {table} WHERE {cond}", params=params).fetchall()[0]
        ids, averages = [h["r"] for h in head or []], [h["a"] for h in head or []]
    else:  # the table is stored best first: a top-n stops early, and the count reads few columns
        if count:
            total = cur.sql(f"SELECT count(*) FROM {table} WHERE {cond}", params=params).fetchall()[0][0]
        head = cur.sql(f"SELECT rowid, average FROM {table} WHERE {cond} ORDER BY {ORDER} LIMIT {n}",
                       params=params).fetchall()
        ids, averages = [r[0] for r in head], [r[1] for r in head]
    where, args = "rowid IN (SELECT unnest(?::BIGINT[]))", [ids]
    if averages and None not in averages:  # lets the scan skip row groups by their min/max average
        where += " AND average BETWEEN ? AND ?"
        args += [min(averages), max(averages)]
    sql = (f"SELECT {RANK}, {_select(picked)} FROM {table} WHERE {where} "
           f"ORDER BY {ORDER} LIMIT {limit} OFFSET {offset}")
    return _with_static_rank(home, cur, version, view, picked, cur.sql(sql, params=args).pl()), total


def _picked(suite: str, columns: list[str] | None) -> list[str]:
    return [c for c in dict.fromkeys(columns or rankings_columns(suite)) if c != "rank"]  # rank: computed


def rankings_count(home: Path, **filters) -> int:
    """How many rows `rankings(home, **filters)` returns without a limit (the total behind a page)."""
    view = _rankings_filter(home, **filters)
    if view is None:
        return 0
    df = frame(home, f"SELECT count(*) AS n FROM {view.table} WHERE {view.cond}", view.params)
    return int(df["n"][0]) if df.height else 0


def leaderboard_facets(home: Path, suite: str) -> dict:
    """The values the leaderboard's filters offer for a suite: precisions, weight types, licenses, largest size."""
    df = frame(home, "SELECT list(DISTINCT precision ORDER BY precision) AS precisions, "
                     "list(DISTINCT weight_type ORDER BY weight_type) AS weight_types, "
                     "list(DISTINCT license ORDER BY license) AS licenses, max(params_b) AS max_params "
                     "FROM leaderboard WHERE suite = ?", [suite])
    if df.height == 0:
        return {"precisions": [], "weight_types": [], "licenses": [], "max_params": None}
    row = df.row(0, named=True)
    return {k: ([x for x in v if x is not None] if isinstance(v, list) else v) for k, v in row.items()}
