"""The imported files themselves: finding them, knowing them by content (a file seen before is skipped),
keeping each results file's raw copy under ``LLMBOARD_HOME/raw/``, and the report of an import."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from warehouse import db
from warehouse.rows import QuarantineRow

Progress = Callable[[int], object] | None  # called with the number of files just done


@dataclass
class ImportReport:
    """What one import did. A row is a row of a contents table, or a whole request or results file."""

    kind: str = ""
    loaded: list[str] = field(default_factory=list)  # files loaded (wholly, or all but their quarantined rows)
    unchanged: list[str] = field(default_factory=list)  # files loaded before (same content): nothing to do
    failed: list[str] = field(default_factory=list)  # files of which nothing could be loaded
    errors: list[str] = field(default_factory=list)  # one line each: the first cause, naming the file and row
    quarantined: list[QuarantineRow] = field(default_factory=list)  # set aside by this import (or again)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_unchanged: int = 0  # rows whose entry the warehouse already held
    notes: list[str] = field(default_factory=list)  # what was ignored (unknown columns...)

    def summary(self) -> str:
        files = f"{len(self.loaded)} loaded, {len(self.unchanged)} unchanged, {len(self.failed)} failed"
        if self.kind != "contents" and not self.quarantined:
            return files
        return (f"{files}; rows: {self.rows_loaded} loaded, {self.rows_unchanged} unchanged, "
                f"{len(self.quarantined)} quarantined")

    def add(self, other: ImportReport) -> None:
        """Count another import's report into this one."""
        self.kind = self.kind or other.kind
        for name in ("loaded", "unchanged", "failed", "errors", "quarantined", "notes"):
            getattr(self, name).extend(getattr(other, name))
        self.rows_read += other.rows_read
        self.rows_loaded += other.rows_loaded
        self.rows_unchanged += other.rows_unchanged

    def as_json(self) -> dict:
        """The report for ``llmboard import ... --json``."""
        return {
            "kind": self.kind,
            "files": {"loaded": self.loaded, "unchanged": self.unchanged, "failed": self.failed},
            "rows": {"read": self.rows_read, "loaded": self.rows_loaded, "unchanged": self.rows_unchanged,
                     "quarantined": len(self.quarantined)},
            "quarantined": [{"file": q.source_file, "row": q.row_number, "key": q.row_key, "reason": q.reason,
                             "id": q.quarantine_id} for q in self.quarantined],
            "errors": self.errors,
            "notes": self.notes,
        }


def walk(paths: Iterable[str | Path], suffixes: tuple[str, ...] = (".json",)) -> list[Path]:
    """Files named directly, and every matching file under folders (sorted, so imports are repeatable)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix in suffixes))
        elif p.exists():
            out.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or folder")
    return out


def content_sha(data: bytes | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


class FileReader:
    """Reads whole files into one buffer, reused: a new ``bytes`` per file costs more in page faults (about 30
    for a 118 KB results file) than copying the file. What ``read`` returns is valid until its next call."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def read(self, path: Path) -> memoryview:
        with open(path, "rb", buffering=0) as file:
            size = 0
            while True:
                if size == len(self._buffer):  # full: a larger one (not resized: views of this one may be held)
                    grown = bytearray(max(2 * len(self._buffer), 256 * 1024))
                    grown[:size] = self._buffer[:size]
                    self._buffer = grown
                read = file.readinto(memoryview(self._buffer)[size:])
                if not read:
                    return memoryview(self._buffer)[:size]
                size += read


def raw_file_name(sha: str) -> str:
    """Where a results file is kept, relative to LLMBOARD_HOME (see ``db.raw_path``)."""
    return f"raw/{sha[:2]}/{sha}.json"


def keep_raw(home: Path, sha: str, data: bytes | memoryview, source: Path | None = None) -> str:
    """Keep the file's bytes content-addressed under LLMBOARD_HOME/raw/; returns the relative name.

    A hard link to the source file where the filesystem allows (free, and atomic by itself), else a
    copy written aside and renamed into place."""
    name = raw_file_name(sha)
    target = db.raw_path(home, name)
    if source is not None:
        try:
            _in_fanout(target, lambda: os.link(source, target))
            return name
        except FileExistsError:
            return name
        except OSError:
            pass  # another filesystem, or links not allowed: copy
    if not target.exists():
        tmp = target.with_name(f".{sha}.{os.getpid()}.tmp")
        _in_fanout(target, lambda: tmp.write_bytes(data))
        os.replace(tmp, target)
    return name


def _in_fanout(target: Path, make: Callable[[], object]) -> None:
    """Run ``make``; if the fan-out folder is missing, create it and run it again (not checked per file)."""
    try:
        make()
    except FileNotFoundError:
        if target.parent.exists():
            raise
        target.parent.mkdir(parents=True, exist_ok=True)
        make()
