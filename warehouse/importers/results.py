"""lm-eval / lighteval results files, imported in bulk.

The writer's process reads and hashes each file and skips those seen before (by content); the new ones
are parsed, checked and scored first, so a malformed file is rejected (named, with its field) before it
touches the database. A large import does this in a few worker processes (``IMPORT_WORKERS``), which
return rows and never open the database, while the writer inserts the previous batch: one transaction
per ``BATCH_FILES`` files, redone file by file when it fails, so only the culprit fails.

The files themselves are kept content-addressed under ``LLMBOARD_HOME/raw/`` (``runs.raw_file``), not as
JSON inside the warehouse.
"""

from __future__ import annotations

import gc
import json
import os
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import NamedTuple

from warehouse.formats import FormatError, json_object, parse_results
from warehouse.importers.quarantine import commit_isolating, file_entry, one_line
from warehouse.importers.scored_runs import run_rows
from warehouse.importers.source_files import (
    FileReader,
    ImportReport,
    Progress,
    content_sha,
    file_stamp,
    keep_raw,
    raw_file_name,
)
from warehouse.rows import Frames, IngestedFileRow, Load, files_of
from warehouse.writer import LOAD_ERRORS, Writer

KIND = "results"

BATCH_FILES = 512  # results files per insert transaction (its fixed cost, ~20 ms, spread over more files)
IMPORT_WORKERS = min(2, os.cpu_count() or 1)  # processes that parse and score results files
POOL_MIN_FILES = 200  # fewer files are parsed in this process: starting the workers would cost more
POOL_CHUNK = 32  # files per task sent to a worker
FIRST_BATCH_FILES = 64  # with workers: a small first batch, so that they start parsing sooner
WORKER_NICENESS = 10  # the workers yield the CPU to the writer, whose inserts the whole import waits on
IMPORT_DATABASE_THREADS = 1
"""DuckDB's threads in the writer while the workers parse: they keep the cores busy, and DuckDB's own threads
(one per core by default) only competed with them (an import at 1M runs took ~12% longer with 2)."""
GC_THRESHOLDS = (50_000, 20, 100)
"""The cyclic garbage collector's thresholds while importing (Python's: 700, 10, 10). A results file makes a
few thousand objects and no cycles; at the default, collections cost a sixth of a worker's time."""


class NewFile(NamedTuple):
    """A file read and hashed by the writer's process, not seen before."""

    path: Path
    sha: str
    stamp: tuple[int, int]  # file_stamp when it was read


def load_results_file(home: Path, path: Path, data: bytes | memoryview, sha: str) -> Load | str:
    """Parse, check and score one results file and keep its raw copy: its Load, or the error message
    naming the file (and the field). Runs in the import's worker processes; writes nothing to the database."""
    try:
        parsed = parse_results(json_object(data, path), source_file=str(path))
        load = Load(str(path), seen=[IngestedFileRow(sha, KIND, str(path))])
        run_rows(parsed, load, run_id=sha[:32], origin="results-file", source_file=str(path),
                 raw_file=raw_file_name(sha))
    except FormatError as exc:
        return str(exc)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return f"{path}: not valid JSON: {exc}"
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return f"{path}: {type(exc).__name__}: {exc}"
    keep_raw(home, sha, data, path)  # only once the file proved good
    return load


def load_results_files(home: Path, files: list[tuple[Path, str, tuple[int, int]]]) -> list[Load | str]:
    """A worker's chunk of ``load_results_file`` (or, for a small import, the writer's): each Load, or the
    error message.

    The files are read again here (from the page cache; cheaper than sending their bytes over a pipe). Each
    must still be what the writer hashed: the same size and modification time before and after this read
    as when the writer read it."""
    out: list[Load | str] = []
    reader = FileReader()
    for path, sha, stamp in files:
        try:
            before = file_stamp(path)
            data = reader.read(path)
            after = file_stamp(path)
        except OSError as exc:
            out.append(f"{path}: {exc}")
            continue
        if before != stamp or after != stamp:
            out.append(f"{path}: changed while being imported; import it again")
            continue
        out.append(load_results_file(home, path, data, sha))
    return out


def load_results_in_worker(home: Path, files: list[tuple[Path, str, tuple[int, int]]]
                           ) -> tuple[list[str | None], Frames | list[Load] | None]:
    """``load_results_files`` in a pool worker, at a lower priority than the writer's process (on a machine
    with as many cores as processes, the writer would otherwise wait its turn behind the workers): each
    file's error message (None: loaded), and the loaded files' rows as Frames (as Loads where Arrow refuses a value)."""
    if os.getpriority(os.PRIO_PROCESS, 0) < WORKER_NICENESS:  # the worker's first chunk
        os.setpriority(os.PRIO_PROCESS, 0, WORKER_NICENESS)
        gc.freeze()  # what the worker inherited is never garbage: the collector need not walk it again
        gc.set_threshold(*GC_THRESHOLDS)
    outcomes = load_results_files(home, files)
    loads = [o for o in outcomes if not isinstance(o, str)]
    errors = [o if isinstance(o, str) else None for o in outcomes]
    try:
        return errors, Frames.of(loads) if loads else None
    except LOAD_ERRORS:  # a value Arrow refuses: the writer converts them file by file, and quarantines the culprit
        return errors, loads


def import_results(writer: Writer, paths: Iterable[Path], progress: Progress = None) -> ImportReport:
    """Load results files through the writer; one transaction per batch of files."""
    return ResultsImport(writer, progress).run([p if isinstance(p, Path) else Path(p) for p in paths])


class ResultsImport:
    """One ``import_results`` call: batches read and hashed here, parsed (in the pool when there are many
    files) while the previous batch is inserted."""

    def __init__(self, writer: Writer, progress: Progress):
        self.writer, self.progress = writer, progress
        self.report = ImportReport(KIND)
        self.in_flight: set[str] = set()  # files read but not yet committed (or failed)
        self.copies: dict[str, list[Path]] = {}  # content sha in flight -> other files of the same content
        self.reader = FileReader()

    def run(self, paths: list[Path]) -> ImportReport:
        thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            return self._run(paths)
        finally:
            gc.set_threshold(*thresholds)

    def _run(self, paths: list[Path]) -> ImportReport:
        if len(paths) < POOL_MIN_FILES or IMPORT_WORKERS < 2:
            return self._batches(paths, None)
        with self.writer.database_threads(IMPORT_DATABASE_THREADS):
            return self._batches(paths, self.writer.process_pool(IMPORT_WORKERS))

    def _batches(self, paths: list[Path], pool) -> ImportReport:
        pending: deque[tuple[list[tuple[Path, str]], list]] = deque()  # parsed (or being parsed) batches, oldest first
        start, size = 0, FIRST_BATCH_FILES if pool is not None else BATCH_FILES
        while start < len(paths):
            new = self._new_files(paths[start:start + size])
            start, size = start + size, BATCH_FILES
            pending.append(([(f.path, f.sha) for f in new], self._parse_batch(new, pool)))
            if len(pending) > 1:
                self._finish_batch(*pending.popleft())
        while pending:
            self._finish_batch(*pending.popleft())
        return self.report

    def _done(self, files: int = 1) -> None:
        if self.progress:
            for _ in range(files):
                self.progress(1)

    def _new_files(self, paths: list[Path]) -> list[NewFile]:
        """Read and hash the files; report the unreadable and the unchanged (seen before, by content)."""
        chunk = []
        for path in paths:
            try:
                stamp = file_stamp(path)
                data = self.reader.read(path)
            except OSError as exc:
                self.report.errors.append(f"{path}: cannot be read: {one_line(exc)}")
                self.report.failed.append(str(path))
                self._done()
                continue
            self.report.rows_read += 1
            chunk.append(NewFile(path, content_sha(data), stamp))
        seen = self.writer.seen_among([f.sha for f in chunk])
        new = []
        for f in chunk:
            if f.sha in self.in_flight:  # its twin decides: unchanged if it loads, quarantined if not
                self.copies.setdefault(f.sha, []).append(f.path)
            elif f.sha in seen:
                self.report.unchanged.append(str(f.path))
                self.report.rows_unchanged += 1
                self._done()
            else:
                self.in_flight.add(f.sha)
                new.append(f)
        return new

    def _parse_batch(self, files: list[NewFile], pool) -> list:
        """A batch's Loads and error messages, in file order, now; or futures from the pool (see
        ``load_results_in_worker``)."""
        home = self.writer.home
        if pool is None:
            return load_results_files(home, [(f.path, f.sha, f.stamp) for f in files])
        return [pool.submit(load_results_in_worker, home, [(f.path, f.sha, f.stamp) for f in files[i:i + POOL_CHUNK]])
                for i in range(0, len(files), POOL_CHUNK)]

    def _finish_batch(self, files: list[tuple[Path, str]], parsed: list) -> None:
        """Commit a parsed batch; the files that could not be parsed, and those the database refused, are
        quarantined (one row each, with the first cause) and the rest of the batch loads."""
        if parsed and isinstance(parsed[0], Future):
            outcomes: list = []
            parts: list[Load | Frames] = []
            for future in parsed:
                errors, frames = future.result()
                outcomes += errors
                if isinstance(frames, list):
                    parts += frames
                elif frames is not None:
                    parts.append(frames)
        else:
            outcomes, parts = parsed, [o for o in parsed if not isinstance(o, str)]
        good = files_of(parts)
        bad = [(path, sha, o) for (path, sha), o in zip(files, outcomes, strict=True) if isinstance(o, str)]
        refused = commit_isolating(self.writer, parts)
        bad += [(Path(load.label), load.seen[0].content_sha, refused[load.label]) for load in good
                if load.label in refused]
        failed_shas = {sha for _, sha, _ in bad}
        bad += [(copy, sha, f"same content as {path}, which failed: {reason}") for path, sha, reason in list(bad)
                for copy in self.copies.get(sha, [])]
        self._quarantine(bad)
        loaded = [load.label for load in good if load.label not in refused]
        self.report.loaded.extend(loaded)
        self.report.rows_loaded += len(loaded)
        copies = 0
        for _, sha in files:
            self.in_flight.discard(sha)
            twins = self.copies.pop(sha, [])
            copies += len(twins)
            if sha not in failed_shas:
                self.report.unchanged.extend(map(str, twins))
                self.report.rows_unchanged += len(twins)
        self._done(len(outcomes) + copies)
        self.writer.maybe_publish()

    def _quarantine(self, bad: list[tuple[Path, str, str]]) -> None:
        """Set these files aside (path, content sha, reason), in one transaction."""
        entries = []
        for path, sha, reason in bad:
            message = one_line(reason if reason.startswith(str(path)) else f"{path}: {reason}")
            self.report.errors.append(message)
            self.report.failed.append(str(path))
            try:
                data: bytes | None = path.read_bytes()
            except OSError:
                data = None
            if data is not None and content_sha(data) != sha:  # changed since: keep the reason, not other content
                data = None
            entries.append(file_entry(self.writer.home, KIND, path, data, sha, message))
        if not entries:
            return
        try:
            self.writer.commit_loads([Load(str(entries[0].source_file), quarantined=entries)])
            self.report.quarantined.extend(entries)
        except LOAD_ERRORS as exc:
            self.report.errors.append(f"{entries[0].source_file} and the batch's other failed files: "
                                      f"not quarantined: {one_line(exc)}")
