"""A page of a leaderboard table, read from the snapshot's parts directly.

The views ``warehouse.read`` makes combine a snapshot's base and delta for any query; a leaderboard page
is read from the parts themselves, so that it costs what it costs on one table: the base is stored best
first, so its top-n stops early and reads only the filter and sort columns. Each part gives its first
rows (the base a few more, for those of its rows the delta replaces), merged in order; every row ranked
above a row of the page is among the first offset + limit rows, so ranking those gives each row its rank
in the view. The shown columns are then read for the page's rows alone, by rowid.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import polars as pl

from warehouse.queries.snapshot import quote
from warehouse.read import Pinned, rank_shift_sql
from warehouse.snapshots import MASKED_SUFFIX


class RankingsView(NamedTuple):
    suite: str
    table: str
    cond: str  # the WHERE condition, with `params`
    params: list
    searches_names: bool  # a text search: every name is scanned


class Part(NamedTuple):
    source: str  # a table of an attached file: base.leaderboard, delta.leaderboard
    skip: frozenset[int]  # its rowids the delta replaces
    replaced: str | None  # those rows as they are in the base (to count them out)
    rank_shift: str | None  # the table whose static_rank needs correcting (read.rank_shift_sql), if any


def _parts(pinned: Pinned, table: str) -> list[Part]:
    if not pinned.layout.has_delta:
        return [Part(f"base.{table}", frozenset(), None, None)]
    if table not in pinned.layout.masked:
        raise LookupError(f"{table}: not a ranked table of this snapshot")
    return [Part(f"base.{table}", pinned.layout.masked[table], f"delta.{table}{MASKED_SUFFIX}", table),
            Part(f"delta.{table}", frozenset(), None, None)]


def _keys(table: str) -> list[str]:
    return ["model_id", "precision", *(["sha"] if table == "leaderboard_revisions" else [])]


def _average_key(a: float | None) -> tuple:
    """DESC NULLS LAST as DuckDB sorts doubles: NaN first, then the largest, NULL last."""
    if a is None:
        return (2, 0.0)
    return (0, 0.0) if math.isnan(a) else (1, -a)


def _sort_key(row: tuple) -> tuple:
    _, _, average, *keys = row
    return (_average_key(average), *((k is None, k or "") for k in keys))


def count(pinned: Pinned, view: RankingsView) -> int:
    """How many rows of the view's table match its condition."""
    total = 0
    for part in _parts(pinned, view.table):
        total += pinned.cur.sql(f"SELECT count(*) FROM {part.source} WHERE {view.cond}", params=view.params).fetchall()[0][0]
        if part.replaced and part.skip:
            total -= pinned.cur.sql(f"SELECT count(*) FROM {part.replaced} WHERE {view.cond}",
                                    params=view.params).fetchall()[0][0]
    return total


def _head(pinned: Pinned, view: RankingsView, i: int, part: Part, n: int) -> tuple[list[tuple], int | None]:
    """The first `n` rows of one part in order, as (part, rowid, average, keys...), and (for a name search,
    which scans every name anyway) how many rows match."""
    keys = _keys(view.table)
    n += len(part.skip)
    if view.searches_names:  # one pass gives both the count and the first rows
        fields = ", ".join(f"'{k}': {k}" for k in keys)
        order_key = "{'a': coalesce(-average, 'inf'::DOUBLE), " + fields + "}"  # NULL averages last
        total, head = pinned.cur.sql(  # (a struct: min_by leaves out NULL values, and averages can be NULL)
            f"SELECT count(*), min_by({{'r': rowid, 'a': average, {fields}}}, {order_key}, {n}) "
            f"FROM {part.source} WHERE {view.cond}", params=view.params).fetchall()[0]
        rows = [(i, h["r"], h["a"], *(h[k] for k in keys)) for h in head or []]
    else:  # the base is stored best first: a top-n stops early
        total = None
        rows = [(i, *r) for r in pinned.cur.sql(
            f"SELECT rowid, average, {', '.join(keys)} FROM {part.source} WHERE {view.cond} "
            f"ORDER BY average DESC NULLS LAST, {', '.join(keys)} LIMIT {n}", params=view.params).fetchall()]
    return [r for r in rows if r[1] not in part.skip], total


def page(pinned: Pinned, view: RankingsView, picked: list[str], limit: int, offset: int, *,
         count_rows: bool) -> tuple[pl.DataFrame, int | None]:
    """Rows offset .. offset + limit of the view, best first, with their rank within it (and the number
    of rows behind it, if asked): the columns `picked`, after `rank`."""
    parts, n = _parts(pinned, view.table), offset + limit
    heads, totals = [], []
    for i, part in enumerate(parts):
        rows, total = _head(pinned, view, i, part, n)
        heads += rows
        totals.append(total)
    head = sorted(heads, key=_sort_key)[:n]
    ranks, previous = [], None
    for position, row in enumerate(head):
        key = _average_key(row[2])
        ranks.append(ranks[-1] if key == previous else position + 1)
        previous = key
    shown = head[offset:]
    frames = []
    for i, part in enumerate(parts):
        mine = [(p, r) for p, r in enumerate(shown) if r[0] == i]
        found = _fetch(pinned, part, picked, [r[1] for _, r in mine], [r[2] for _, r in mine])
        positions = pl.DataFrame({"_rid": [r[1] for _, r in mine], "_pos": [p for p, _ in mine]},
                                 schema={"_rid": pl.Int64, "_pos": pl.Int64})
        frames.append(found.join(positions, on="_rid"))
    out = pl.concat(frames).sort("_pos").drop("_rid", "_pos")
    out = out.insert_column(0, pl.Series("rank", ranks[offset:], dtype=pl.Int64))
    total = None
    if count_rows:
        total = sum(totals) if view.searches_names else None
        total = count(pinned, view) if total is None else total - _replaced_count(pinned, view, parts)
    return out, total


def _replaced_count(pinned: Pinned, view: RankingsView, parts: list[Part]) -> int:
    return sum(pinned.cur.sql(f"SELECT count(*) FROM {p.replaced} WHERE {view.cond}", params=view.params)
               .fetchall()[0][0] for p in parts if p.replaced and p.skip)


def _fetch(pinned: Pinned, part: Part, picked: list[str], rowids: list[int], averages: list) -> pl.DataFrame:
    """The `picked` columns of these rows of one part (``_rid``: the rowid), static_rank corrected."""
    where, args = "rowid IN (SELECT unnest(?::BIGINT[]))", [rowids]
    if averages and None not in averages:  # lets the scan skip row groups by their min/max average
        where += " AND average BETWEEN ? AND ?"
        args += [min(averages), max(averages)]
    columns = [f"{rank_shift_sql(part.rank_shift, 'p')} + static_rank AS static_rank"
               if c == "static_rank" and part.rank_shift else quote(c) for c in picked]
    return pinned.cur.sql(f"SELECT rowid AS _rid, {', '.join(columns)} FROM {part.source} p WHERE {where}",
                          params=args).pl()
