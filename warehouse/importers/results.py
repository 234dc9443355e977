"""lm-eval / lighteval results files, imported in bulk.

Each file is read once, hashed, parsed, checked and scored before anything touches the database, so a
malformed file is rejected (named, with its field). A large import does this in a few worker processes
(``IMPORT_WORKERS``), which return rows and never open the database, while the writer inserts the previous
batch: one transaction per ``BATCH_FILES`` files, less those seen before (by content), redone file by file
when it fails, so only the culprit fails.

The files themselves are kept content-addressed under ``LLMBOARD_HOME/raw/`` (``runs.raw_file``), not as
JSON inside the warehouse.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
from collections import deque
from collections.abc import Iterable
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
    keep_raw,
    raw_file_name,
)
from warehouse.rows import Frames, IngestedFileRow, Load, files_of, select
from warehouse.writer import LOAD_ERRORS, Writer

KIND = "results"

BATCH_FILES = 512  # results files per insert transaction (its fixed cost, ~20 ms, spread over more files)
IMPORT_WORKERS = min(2, os.cpu_count() or 1)  # processes that parse and score results files
POOL_MIN_FILES = 200  # fewer files are parsed in this process: starting the workers would cost more
POOL_CHUNK = 32  # files per task sent to a worker
FIRST_BATCH_FILES = 64  # with workers: a small first batch, so that the writer starts inserting sooner
LAST_BATCH_FILES = 128  # and a small last one: the workers are idle while it is inserted
BATCHES_AHEAD = 2  # batches given to the workers beyond the one being inserted
SCREEN_SHARE = 1 / 3
"""Once more than this share of a batch was seen before (a re-import), the writer reads and hashes the next
batches' files first and gives the workers only the new ones: hashing a file costs a seventh of parsing it."""
WORKER_NICENESS = 10  # the workers yield the CPU to the writer, whose inserts the whole import waits on
IMPORT_DATABASE_THREADS = 1
"""DuckDB's threads in the writer while the workers parse: they keep the cores busy, and DuckDB's own threads
(one per core by default) only competed with them (an import at 1M runs took ~12% longer with 2)."""
GC_THRESHOLDS = (50_000, 20, 100)
"""The cyclic garbage collector's thresholds while importing (Python's: 700, 10, 10). A results file makes a
few thousand objects and no cycles; at the default, collections cost a sixth of a worker's time."""


class Outcome(NamedTuple):
    """What a worker made of one file: its content sha (None: it could not be read) and the error message
    naming the file (None: loaded, its rows in the chunk's Frames or Loads)."""

    sha: str | None
    error: str | None


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


def load_results_files(home: Path, paths: list[Path]) -> tuple[list[Outcome], list[Load]]:
    """A chunk of files read, hashed and loaded (``load_results_file``): each file's Outcome, and the Loads
    of those that loaded, in order. The sha is of the very bytes parsed, so a file changed meanwhile is
    imported as it was when read. Files seen before (by content) are parsed too: the writer drops them."""
    outcomes: list[Outcome] = []
    loads: list[Load] = []
    reader = FileReader()
    for path in paths:
        try:
            data = reader.read(path)
        except OSError as exc:
            outcomes.append(Outcome(None, f"{path}: cannot be read: {one_line(exc)}"))
            continue
        sha = content_sha(data)
        loaded = load_results_file(home, path, data, sha)
        if isinstance(loaded, str):
            outcomes.append(Outcome(sha, loaded))
        else:
            outcomes.append(Outcome(sha, None))
            loads.append(loaded)
    return outcomes, loads


def load_results_in_worker(home: Path, paths: list[Path]) -> tuple[list[Outcome], Frames | list[Load] | None]:
    """``load_results_files`` in a pool worker, at a lower priority than the writer's process (on a machine
    with as many cores as processes, the writer would otherwise wait its turn behind the workers): the
    loaded files' rows as Frames (as Loads where Arrow refuses a value)."""
    if os.getpriority(os.PRIO_PROCESS, 0) < WORKER_NICENESS:  # the worker's first chunk
        os.setpriority(os.PRIO_PROCESS, 0, WORKER_NICENESS)
        gc.freeze()  # what the worker inherited is never garbage: the collector need not walk it again
        gc.set_threshold(*GC_THRESHOLDS)
    outcomes, loads = load_results_files(home, paths)
    try:
        return outcomes, Frames.of(loads) if loads else None
    except LOAD_ERRORS:  # a value Arrow refuses: the writer converts them file by file, and quarantines the culprit
        return outcomes, loads


def batch_sizes(files: int, pooled: bool) -> list[int]:
    """How many files each insert transaction takes: BATCH_FILES, and with workers a small first and last batch."""
    if not pooled:
        return [BATCH_FILES] * (files // BATCH_FILES) + ([files % BATCH_FILES] if files % BATCH_FILES else [])
    first = min(files, FIRST_BATCH_FILES)
    sizes, rest = [first] if first else [], files - first
    while rest > BATCH_FILES + LAST_BATCH_FILES:
        sizes.append(BATCH_FILES)
        rest -= BATCH_FILES
    if rest > LAST_BATCH_FILES:
        sizes.append(rest - LAST_BATCH_FILES)
        rest = LAST_BATCH_FILES
    return sizes + ([rest] if rest else [])


def import_results(writer: Writer, paths: Iterable[Path], progress: Progress = None) -> ImportReport:
    """Load results files through the writer; one transaction per batch of files."""
    return ResultsImport(writer, progress).run([p if isinstance(p, Path) else Path(p) for p in paths])


class ResultsImport:
    """One ``import_results`` call: batches of files read, hashed and parsed (in the pool when there are many
    files) while the previous batch is inserted."""

    def __init__(self, writer: Writer, progress: Progress):
        self.writer, self.progress = writer, progress
        self.report = ImportReport(KIND)
        self.reader = FileReader()
        self.screening = False  # whether files are hashed here first, to skip those seen before (a re-import;
        # for the rest of the import, once a batch showed it)

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
        pending: deque[tuple[list[Path], object]] = deque()  # batches being parsed, oldest first
        start = 0
        for size in batch_sizes(len(paths), pooled=pool is not None):
            batch = paths[start:start + size]
            start += size
            if self.screening:
                batch = self._unseen(batch)
            pending.append((batch, self._parse_batch(batch, pool)))
            if len(pending) > BATCHES_AHEAD:
                self._finish_batch(*pending.popleft())
        while pending:
            self._finish_batch(*pending.popleft())
        return self.report

    def _unseen(self, paths: list[Path]) -> list[Path]:
        """The files not seen before, by their content read and hashed here (a file that cannot be read is kept:
        its worker reports it); the others are reported unchanged. Which file is new is still decided after
        parsing, by the content the worker read: this only spares parsing the files seen before."""
        shas: dict[Path, str] = {}
        for path in paths:
            with contextlib.suppress(OSError):
                shas[path] = content_sha(self.reader.read(path))
        seen = self.writer.seen_among(list(set(shas.values())))
        unseen = []
        for path in paths:
            if shas.get(path) in seen:
                self.report.rows_read += 1
                self.report.unchanged.append(str(path))
                self.report.rows_unchanged += 1
                self._done()
            else:
                unseen.append(path)
        return unseen

    def _done(self, files: int = 1) -> None:
        if self.progress:
            for _ in range(files):
                self.progress(1)

    def _parse_batch(self, paths: list[Path], pool) -> object:
        """A batch's outcomes and Loads now (``load_results_files``), or futures from the pool (see
        ``load_results_in_worker``)."""
        home = self.writer.home
        if pool is None:
            return load_results_files(home, paths)
        return [pool.submit(load_results_in_worker, home, paths[i:i + POOL_CHUNK])
                for i in range(0, len(paths), POOL_CHUNK)]

    def _finish_batch(self, paths: list[Path], parsed) -> None:
        """Commit a parsed batch, less the files seen before (by content) and the second copies of a content;
        the files that could not be parsed, and those the database refused, are quarantined (one row each,
        with the first cause) and the rest of the batch loads."""
        outcomes: list[Outcome] = []
        parts: list[Load | Frames] = []
        if isinstance(parsed, tuple):
            outcomes, parts = parsed[0], list(parsed[1])
        else:
            for future in parsed:
                chunk_outcomes, frames = future.result()
                outcomes += chunk_outcomes
                if isinstance(frames, list):
                    parts += frames
                elif frames is not None:
                    parts.append(frames)
        seen = self.writer.seen_among(list({o.sha for o in outcomes if o.sha is not None}))
        first: dict[str, int] = {}  # content sha -> the batch's first file of that content (its place)
        copies: dict[str, list[Path]] = {}  # content sha -> the batch's other files of that content
        keep: list[bool] = []  # for each loaded file: whether to insert it
        bad: list[tuple[Path, str, str]] = []
        self.screening = self.screening or sum(o.sha in seen for o in outcomes) > SCREEN_SHARE * len(outcomes)
        for place, (path, (sha, error)) in enumerate(zip(paths, outcomes, strict=True)):
            if sha is None:  # unreadable
                self.report.errors.append(error)
                self.report.failed.append(str(path))
                continue
            self.report.rows_read += 1
            if sha in seen:
                self.report.unchanged.append(str(path))
                self.report.rows_unchanged += 1
            elif sha in first:  # its twin decides: unchanged if it loads, quarantined if not
                copies.setdefault(sha, []).append(path)
            else:
                first[sha] = place
                if error is not None:
                    bad.append((path, sha, error))
            if error is None:
                keep.append(sha not in seen and first[sha] == place)
        parts = select(parts, keep)
        good = files_of(parts)
        refused = commit_isolating(self.writer, parts)
        bad += [(Path(load.label), load.seen[0].content_sha, refused[load.label]) for load in good
                if load.label in refused]
        failed_shas = {sha for _, sha, _ in bad}
        bad += [(copy, sha, f"same content as {path}, which failed: {reason}") for path, sha, reason in list(bad)
                for copy in copies.get(sha, [])]
        self._quarantine(bad)
        loaded = [load.label for load in good if load.label not in refused]
        self.report.loaded.extend(loaded)
        self.report.rows_loaded += len(loaded)
        for sha, twins in copies.items():
            if sha not in failed_shas:
                self.report.unchanged.extend(map(str, twins))
                self.report.rows_unchanged += len(twins)
        self._done(len(paths))
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
