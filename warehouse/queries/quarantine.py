"""What imports set aside (the ``quarantine`` table): per file, and row by row with each row's reason."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from warehouse.queries.snapshot import frame


def quarantine_by_file(home: Path) -> pl.DataFrame:
    """One row per imported file with something set aside: its kind, the file, how many rows (a whole
    file counts one), the first row's reason and when it was last set aside; most recent first."""
    return _read(home, """
        SELECT kind, source_file, count(*) AS rows, arg_min(reason, coalesce(row_number, 0)) AS first_reason,
               max(quarantined_at) AS quarantined_at
        FROM quarantine GROUP BY kind, source_file ORDER BY quarantined_at DESC, source_file""", [])


def quarantined_rows(home: Path, source_file: str | None = None, limit: int = 1000) -> pl.DataFrame:
    """The rows set aside (of one file, or of all), in file and row order: where each came from, what it
    names, its reason, its raw content and the kept copy of a whole file."""
    where, params = ("WHERE source_file = ?", [source_file]) if source_file else ("", [])
    return _read(home, f"""
        SELECT kind, source_file, row_number, row_key, reason, quarantined_at, raw, raw_file, content_sha,
               quarantine_id
        FROM quarantine {where} ORDER BY source_file, row_number NULLS FIRST LIMIT ?""", [*params, limit])


def _read(home: Path, sql: str, params: list) -> pl.DataFrame:
    try:
        return frame(home, sql, params)
    except duckdb.CatalogException:  # a snapshot published before the quarantine table existed
        return pl.DataFrame()
