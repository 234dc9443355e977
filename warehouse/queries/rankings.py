"""The leaderboard's rows: one entry per model and precision, filtered, ranked and paged; the filters' facets."""

from __future__ import annotations

from collections.abc import Callable
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

ORDER = {"leaderboard": "average DESC NULLS LAST, model_id, precision",
         "leaderboard_revisions": "average DESC NULLS LAST, model_id, precision, sha"}
"""The views' order in each table: best average first, ties by their key (rows of one model and precision
at two commits with equal averages: by sha)."""
RANK = "rank() OVER (ORDER BY average DESC NULLS LAST) AS rank"


class RankingsView(NamedTuple):
    suite: str
    table: str
    cond: str  # the WHERE condition, with `params`
    params: list
    names: tuple[str, ...]  # a text search's names (lower-cased; a row matches any): every name is scanned
    facets: dict | None  # the view's filters when all are on FACET_COLUMNS (column -> value), else None
    mask: pl.Expr | None  # the condition but the suite and the names, on the columns of SEARCH_COLUMNS

    @property
    def searches_names(self) -> bool:
        return bool(self.names)

    def name_mask(self) -> pl.Expr:
        """The whole condition but the suite, names included, on the columns of SEARCH_COLUMNS."""
        parts = [] if self.mask is None else [self.mask]
        if self.names:
            parts.append(pl.any_horizontal([pl.col("model_key").str.contains(n, literal=True) for n in self.names]))
        return pl.all_horizontal(parts) if parts else pl.lit(True)


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
    where, params, facets, mask = ["suite = ?"], [suite], {}, []
    for column, value in (("model_type", category), ("precision", precision), ("weight_type", weight_type)):
        if value and value != "all":
            where.append(f"{column} = ?")
            params.append(value)
            facets[column] = value
            mask.append(pl.col(column) == value)
    if license:
        where.append("license_key = ?")
        params.append(license.lower())
        mask.append(pl.col("license_key") == license.lower())
    if params_min is not None:
        where.append("params_b >= ?")
        params.append(params_min)
        mask.append(pl.col("params_b") >= params_min)
    if params_max is not None:
        where.append("params_b <= ?")
        params.append(params_max)
        mask.append(pl.col("params_b") <= params_max)
    for column, shown in (("flagged", show_flagged), ("merged", show_merged), ("moe", show_moe)):
        if not shown:
            where.append(f"NOT {column}")
            facets[column] = False
            mask.append(~pl.col(column))
    parsed = parse_search(search)
    clauses, values = parsed.sql()
    if parsed.licenses:
        mask.append(pl.col("license_key").is_in([x.lower() for x in parsed.licenses]))
    table = "leaderboard_revisions" if all_revisions else "leaderboard"
    only_facets = not (license or params_min is not None or params_max is not None or clauses)
    return RankingsView(suite, table, " AND ".join(where + clauses), params + values,
                        tuple(dict.fromkeys(n.lower() for n in parsed.names)), facets if only_facets else None,
                        pl.all_horizontal(mask) if mask else None)


def rankings_columns(suite: str) -> list[str]:
    """The columns `rankings` returns by default (after `rank`): entry metadata, then the suite's benchmarks."""
    return [*ENTRY_COLUMNS, *(c for key, _ in benchmark_columns(suite) for c in benchmark_fields(key))]


def view_rank_bounds(home: Path, **filters) -> RankBounds | None:
    """The sorted interval bounds of every row of a view (its average's 95% interval, or the average where
    the run has none): what each row's rank range is counted against. Two float columns, no join."""
    view = _rankings_filter(home, **filters)
    if view is None:
        return None
    shown = ["average", "ci_low", "ci_high"]
    with reader(home).pinned_version() as (cur, version):
        if cur is None:
            return None
        board = held_board(home, version, view, shown)
        rows = board.rows.select(shown)[board.keep(view)] if board is not None else cur.sql(
            f"SELECT {', '.join(shown)} FROM {view.table} WHERE {view.cond}", params=view.params).pl()
    return rank_bounds(*(rows[c].cast(pl.Float64).to_numpy() for c in ("average", "ci_low", "ci_high"))) \
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
    _check_page(limit, offset)
    view = _rankings_filter(home, **filters)
    if view is None:
        return pl.DataFrame()
    picked = _picked(view.suite, columns)
    with reader(home).pinned_version() as (cur, version):
        if cur is None:
            return pl.DataFrame()
        board = held_board(home, version, view, picked)
        if board is not None:
            return board.page(view, picked, int(limit) if limit else None, int(offset))[0]
        if limit:
            return _page(home, cur, version, view, picked, int(limit), int(offset))[0]
        sql = (f"SELECT {RANK}, {_select(picked)} FROM {view.table} WHERE {view.cond} ORDER BY {ORDER[view.table]}")
        if offset:
            sql += f" OFFSET {int(offset)}"
        return _with_static_rank(home, cur, version, view, picked, cur.sql(sql, params=view.params).pl())


def rankings_page(home: Path, *, limit: int = 100, offset: int = 0, columns: list[str] | None = None,
                  **filters) -> tuple[pl.DataFrame, int]:
    """A page of `rankings` (rows offset .. offset + limit, ranked within the filter) and the total
    number of rows behind it: what the leaderboard shows. Filters and columns as `rankings`."""
    _check_page(limit, offset)
    view = _rankings_filter(home, **filters)
    if view is None:
        return pl.DataFrame(), 0
    with reader(home).pinned_version() as (cur, version):
        if cur is None:
            return pl.DataFrame(), 0
        board = held_board(home, version, view, _picked(view.suite, columns))
        if board is not None:
            return board.page(view, _picked(view.suite, columns), int(limit), int(offset))
        return _page(home, cur, version, view, _picked(view.suite, columns), int(limit), int(offset))


def _check_page(limit: int | None, offset: int) -> None:
    if offset < 0 or (limit is not None and limit < 0):
        raise ValueError(f"rankings: limit and offset must be 0 or more (got limit={limit}, offset={offset})")


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


FACET_COLUMNS = ("model_type", "precision", "weight_type", "flagged", "merged", "moe")
PREFIX_MARGIN = 1.5  # how many more rows than expected the prefix read holds
SEARCH_COLUMNS = (*FACET_COLUMNS, "license_key", "params_b", "model_key")


def search_index(home: Path, cur, version: int, table: str, suite: str) -> pl.DataFrame:
    """The columns a text search filters on, of every row of the suite, read once per snapshot version (and
    only once someone searches) and held in memory: matching names there is several times faster than
    decompressing every name from the snapshot for each search."""
    return reader(home).memo(version, ("search", table, suite), lambda: cur.sql(
        f"SELECT {', '.join(SEARCH_COLUMNS)} FROM {table} WHERE suite = ?", params=[suite]).pl())


def view_count(home: Path, cur, version: int, view: RankingsView) -> int:
    """How many rows the view holds: for filters on FACET_COLUMNS alone, from the suite's row counts per
    combination of their values (one GROUP BY a snapshot version); for a text search, by filtering the
    search index; else a count of the rows."""
    if view.searches_names:
        return search_index(home, cur, version, view.table, view.suite).select(view.name_mask().sum()).item()
    if view.facets is None:
        return cur.sql(f"SELECT count(*) FROM {view.table} WHERE {view.cond}", params=view.params).fetchall()[0][0]
    combos = reader(home).memo(version, ("facets", view.table, view.suite), lambda: cur.sql(
        f"SELECT {', '.join(FACET_COLUMNS)}, count(*) AS n FROM {view.table} WHERE suite = ? GROUP BY ALL",
        params=[view.suite]).fetchall())
    at = {c: i for i, c in enumerate(FACET_COLUMNS)}
    return sum(row[-1] for row in combos if all(row[at[c]] == v for c, v in view.facets.items()))


def _page(home: Path, cur, version: int, view: RankingsView, picked: list[str], limit: int,
          offset: int) -> tuple[pl.DataFrame, int]:
    """The page and the view's total. The table is stored best first, so the page's rows are among the
    first rows of the suite: knowing the view's share of the suite (its count), one query reads only the
    rows whose average is at least that of the suite's k-th best, k = what should hold offset + limit of
    the view's rows with a margin, and the scan skips the rest of the table by the average's min/max. Ranks
    stay right: every row ranked above a row of the page is in that prefix. When the prefix holds too few
    rows (NULL averages, a view much denser at the bottom), the two-step read below gives the page."""
    total = view_count(home, cur, version, view)
    ordered = suite_averages(home, cur, version, view.table, view.suite)
    wanted = min(limit, max(total - offset, 0))
    if wanted == 0:
        return _page_ids(home, cur, version, view, picked, limit, offset), total
    k = int((offset + limit) * len(ordered) / total * PREFIX_MARGIN) + 64
    if k < len(ordered):
        floor = float(ordered[len(ordered) - 1 - k])
        sql = (f"SELECT {RANK}, {_select(picked)} FROM {view.table} WHERE {view.cond} AND average >= ? "
               f"ORDER BY {ORDER[view.table]} LIMIT {limit} OFFSET {offset}")
        rows = cur.sql(sql, params=[*view.params, floor]).pl()
        if rows.height == wanted:
            return _with_static_rank(home, cur, version, view, picked, rows), total
    return _page_ids(home, cur, version, view, picked, limit, offset), total


def _page_ids(home: Path, cur, version: int, view: RankingsView, picked: list[str], limit: int,
              offset: int) -> pl.DataFrame:
    """The page in two steps on one snapshot: find its rows reading only the filter and sort columns, then
    read the shown columns of those rows alone. Every row ranked above a row of the page is among the first
    offset + limit rows, so ranking those gives each row its rank in the view."""
    head = cur.sql(f"SELECT rowid, average FROM {view.table} WHERE {view.cond} ORDER BY {ORDER[view.table]} "
                   f"LIMIT {offset + limit}", params=view.params).fetchall()
    ids, averages = [r[0] for r in head], [r[1] for r in head]
    where, args = "rowid IN (SELECT unnest(?::BIGINT[]))", [ids]
    if averages and None not in averages:  # lets the scan skip row groups by their min/max average
        where += " AND average BETWEEN ? AND ?"
        args += [min(averages), max(averages)]
    sql = (f"SELECT {RANK}, {_select(picked)} FROM {view.table} WHERE {where} "
           f"ORDER BY {ORDER[view.table]} LIMIT {limit} OFFSET {offset}")
    return _with_static_rank(home, cur, version, view, picked, cur.sql(sql, params=args).pl())


class Board(NamedTuple):
    """A suite's rows of one leaderboard table held in memory, every stored column, in the views' order
    (best average first): what a long-lived reader (the dashboard) filters, ranks and pages without a query.
    Built once per published version, in the background (``Reader.memo_soon``), only by a reader that holds
    views (``hold_rankings_in_memory``); until it is ready, and everywhere else, the snapshot is queried."""

    rows: pl.DataFrame
    neg_average: np.ndarray  # -average of each row, NaN where NULL: ascending, so ranks are binary searches
    names: pl.DataFrame  # the distinct model_key values (one column), for a text search
    name_code: np.ndarray  # each row's position in ``names``
    columns: frozenset[str]  # the stored columns and the computed ones

    def mask(self, view: RankingsView) -> np.ndarray:
        """Which rows are the view's (the suite is the board's). A text search first matches each distinct name
        once, then checks the other conditions on the rows of the names it found alone."""
        if not view.names:
            return np.ones(self.rows.height, dtype=bool) if view.mask is None else \
                self.rows.select(view.mask.fill_null(False)).to_series().to_numpy()
        hit = self.names.select(pl.any_horizontal([pl.col("model_key").str.contains(n, literal=True)
                                                   for n in view.names]).fill_null(False))
        keep = hit.to_series().to_numpy()[self.name_code]
        if view.mask is not None:
            at = np.flatnonzero(keep)
            found = self.rows.select(list(dict.fromkeys(view.mask.meta.root_names())))[at]
            keep[at] = found.select(view.mask.fill_null(False)).to_series().to_numpy()
        return keep

    def keep(self, view: RankingsView) -> np.ndarray:
        """The positions of the view's rows, best first."""
        return np.flatnonzero(self.mask(view))

    def page(self, view: RankingsView, picked: list[str], limit: int | None, offset: int) -> tuple[pl.DataFrame, int]:
        """Rows offset .. offset + limit of the view (all from offset when limit is None), ranked within the
        view as ``RANK`` ranks them, and the view's total. Only the view's first offset + limit positions are
        found: a row's rank is 1 + the view's rows before the first row of its average (the rows are in
        order), and all of those come before it."""
        mask = self.mask(view)
        at = np.flatnonzero(mask) if limit is None else _first_true(mask, offset + limit)
        shown = at[offset:]
        neg = self.neg_average
        first = np.searchsorted(neg, neg[shown], side="left")  # the first row of each shown row's average
        computed = {"rank": np.searchsorted(at, first, side="left") + 1}
        if "static_rank" in picked:
            computed["static_rank"] = first + 1
        rows = self.rows.select([c for c in picked if c not in COMPUTED_COLUMNS])[shown]
        rows = rows.with_columns([pl.Series(k, v, dtype=pl.Int64) for k, v in computed.items()])
        return rows.select(["rank", *picked]), int(np.count_nonzero(mask)) if limit is not None else len(at)


def _first_true(mask: np.ndarray, n: int) -> np.ndarray:
    """The positions of the first ``n`` true values of ``mask`` (all when it holds fewer), reading only as far
    as needed: chunks doubling in size."""
    found, start, step = [], 0, 4096
    while start < len(mask) and sum(len(x) for x in found) < n:
        found.append(np.flatnonzero(mask[start:start + step]) + start)
        start, step = start + step, step * 2
    return np.concatenate(found)[:n] if found else np.zeros(0, dtype=np.int64)


def load_board(cur, table: str, suite: str) -> Board:
    rows = cur.sql(f"SELECT * FROM {table} WHERE suite = ? ORDER BY {ORDER[table]}", params=[suite]).pl().rechunk()
    keys = rows.select(pl.col("model_key").fill_null(""))
    codes = keys.select(pl.col("model_key").rank("dense").cast(pl.Int64) - 1).to_series().to_numpy()
    # built anew from a list: the sorted unique column's strings would point all over the table's buffers,
    # which makes each search's scan of them several times slower
    names = pl.DataFrame({"model_key": keys.to_series().unique().sort().to_list()}, schema={"model_key": pl.String})
    average = rows.select(pl.col("average").cast(pl.Float64).fill_null(float("nan"))).to_series().to_numpy()
    return Board(rows, -average, names, codes, frozenset([*rows.columns, *COMPUTED_COLUMNS]))


def held_board(home: Path, version: int, view: RankingsView, picked: list[str]) -> Board | None:
    """The view's board when this reader holds views and it is ready (else None: query the snapshot), and it
    has the picked columns."""
    if not reader(home).hold_views:
        return None
    board = reader(home).memo_soon(version, *_board_of(view))
    if board is None or not set(picked) <= board.columns:
        return None
    return board


def hold_rankings_in_memory(home: Path) -> None:
    """Keep each suite's leaderboard rows in memory in this process, built once per published version in the
    background (``Board``): for a long-lived reader such as the dashboard's server."""
    reader(home).hold_views = True


def warm_rankings(home: Path, suite: str | None = None, *, all_revisions: bool = False) -> bool:
    """Build the board of a suite's rankings now, waiting for it (a warm-up); False when nothing was ingested."""
    view = _rankings_filter(home, suite=suite, all_revisions=all_revisions)
    if view is None:
        return False
    with reader(home).pinned_version() as (cur, version):
        if cur is None:
            return False
        key, load = _board_of(view)
        reader(home).memo(version, key, lambda: load(cur))
    return True


def _board_of(view: RankingsView) -> tuple[tuple, Callable]:
    """The memo key of the view's board and what loads it from a cursor."""
    return ("board", view.table, view.suite), lambda cur: load_board(cur, view.table, view.suite)


def _picked(suite: str, columns: list[str] | None) -> list[str]:
    return [c for c in dict.fromkeys(columns or rankings_columns(suite)) if c != "rank"]  # rank: computed


def rankings_count(home: Path, **filters) -> int:
    """How many rows `rankings(home, **filters)` returns without a limit (the total behind a page)."""
    view = _rankings_filter(home, **filters)
    if view is None:
        return 0
    with reader(home).pinned_version() as (cur, version):
        if cur is None:
            return 0
        board = held_board(home, version, view, [])
        return int(np.count_nonzero(board.mask(view))) if board is not None else view_count(home, cur, version, view)


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
