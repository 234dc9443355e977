"""What an import could not load, set aside with its reason (the ``quarantine`` table) while the rest loads.

A contents row that does not convert, or a request or results file that cannot be parsed or stored, becomes
one ``QuarantineRow``: the kind, the file, its content hash, the row number (None: the whole file), what the
row names, its raw content and the first cause, one line. Its id is derived from where it came from, so the
same file imported again adds nothing. ``commit_isolating`` commits a batch of loads in one transaction and,
only when that fails, halves the batch until each failing load stands alone: a few bad rows among thousands
cost a few dozen small transactions, not thousands.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from warehouse.importers.source_files import keep_raw
from warehouse.rows import Frames, Load, QuarantineRow, files_of, halves
from warehouse.writer import LOAD_ERRORS, Writer

RAW_TEXT_LIMIT = 64 * 1024  # a whole file's text is kept in the row up to this size (and always as a copy)


def quarantine_id(kind: str, source_file: str, content_sha: str, row_number: int | None) -> str:
    key = "\x1f".join((kind, source_file, content_sha, "" if row_number is None else str(row_number)))
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def one_line(message: object) -> str:
    """The first line of an error message (database errors add the statement and a caret below it)."""
    text = str(message).strip()
    return text.splitlines()[0] if text else type(message).__name__


def row_entry(kind: str, source_file: str, content_sha: str, row_number: int, key: str | None, raw: dict,
              reason: str) -> QuarantineRow:
    """One row of a table set aside: its content as JSON text under the file's own column names."""
    return QuarantineRow(quarantine_id(kind, source_file, content_sha, row_number), kind, source_file, content_sha,
                         row_number, key, json_text(raw), None, one_line(reason))


def file_entry(home: Path, kind: str, path: Path, data: bytes | None, content_sha: str,
               reason: str) -> QuarantineRow:
    """A whole file set aside: its text when small, and a content-addressed copy (JSON files) so it can be
    looked at after the source is gone. ``data`` None: the content is no longer at hand (only the reason)."""
    raw = raw_file = None
    if data is not None:
        raw_file = keep_raw(home, content_sha, data, path) if path.suffix == ".json" else None
        try:
            raw = data.decode() if len(data) <= RAW_TEXT_LIMIT else None
        except UnicodeDecodeError:
            raw = None
    return QuarantineRow(quarantine_id(kind, str(path), content_sha, None), kind, str(path), content_sha, None,
                         None, raw, raw_file, one_line(reason))


def json_text(row: dict) -> str:
    """A row as JSON text: dates and other values as text, NaN and infinities as text (JSON has none)."""
    def plain(value):
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)
        return value
    return json.dumps({str(k): plain(v) for k, v in row.items()}, default=str, ensure_ascii=False)


def commit_isolating(writer: Writer, loads: list[Load | Frames]) -> dict[str, str]:
    """Commit the loads in one transaction; when it fails, each half in its own, down to single files.
    Returns the files that failed alone: label -> the first cause, one line (the others are committed)."""
    if not loads:
        return {}
    try:
        writer.commit_loads(loads)
    except LOAD_ERRORS as exc:
        files = files_of(loads)
        if len(files) == 1:
            return {files[0].label: one_line(exc)}
        left, right = halves(loads)
        return {**commit_isolating(writer, left), **commit_isolating(writer, right)}
    return {}
