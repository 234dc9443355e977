"""The warehouse's rows as Python sees them: one NamedTuple per row kind, its fields the table's columns.

The Arrow schema of each kind is derived from its fields (``arrow_schema``), so a column is declared
once. A ``Load`` is every row one imported file adds, built and checked before the writer inserts it.
``timestamp`` turns the many ways a source writes a time into the naive UTC the tables store.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, partial
from types import UnionType
from typing import NamedTuple

import pyarrow as pa


class ModelRow(NamedTuple):
    """``models``: what is known of a model; None leaves a stored value as it is."""

    model_id: str
    license: str | None = None
    params_b: float | None = None
    architecture: str | None = None
    model_type: str | None = None
    weight_type: str | None = None
    base_model: str | None = None
    merged: bool | None = None
    moe: bool | None = None
    available_on_hub: bool | None = None
    hub_hearts: int | None = None
    source: str | None = None


class RunRow(NamedTuple):
    """``runs`` (less ``ingested_at``, which the insert sets): one evaluation, never overwritten."""

    run_id: str
    request_id: str | None
    model_id: str
    sha: str | None
    precision: str | None
    weight_type: str | None
    model_type: str | None
    use_chat_template: bool | None
    suite: str
    lm_eval_version: str | None
    transformers_version: str | None
    task_hash_set: str | None  # its lm-eval task hashes: task_hash_sets.set_id
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    device: str | None
    dtype: str | None
    params_b: float | None
    co2_kg: float | None
    average: float | None
    origin: str  # worker | results-file | contents
    source_file: str | None
    bundle_path: str | None
    samples_file: str | None
    raw_file: str | None
    raw: str | None  # JSON: small source records only (a contents-table row)


class RunScoreRow(NamedTuple):
    """``scores``: one metric of one task under one filter, in one run."""

    run_id: str
    benchmark: str | None
    task: str
    metric: str
    filter: str
    value: float | None
    stderr: float | None
    n_samples: int | None
    normalized: float | None


class BenchmarkScoreRow(NamedTuple):
    """``benchmark_scores``: one leaderboard column of one run."""

    run_id: str
    benchmark: str
    raw: float | None
    normalized: float | None
    stderr: float | None


class TaskHashSetRow(NamedTuple):
    """``task_hash_sets``: lm-eval's task hashes (JSON text, task -> hash of its inputs), once per distinct set."""

    set_id: str  # md5 of the text
    task_hashes: str


class ImportedFlagRow(NamedTuple):
    """A flag carried over from the leaderboard's contents table (the rest of its ``flags`` row is fixed)."""

    flag_id: str
    model_id: str


class IngestedFileRow(NamedTuple):
    """``ingested_files`` (less ``ingested_at``): a file loaded once, known by its content."""

    content_sha: str
    kind: str
    path: str


class QuarantineRow(NamedTuple):
    """``quarantine`` (less ``quarantined_at``): a row (or a whole file) an import could not load, and why."""

    quarantine_id: str
    kind: str  # contents | request | results
    source_file: str
    content_sha: str
    row_number: int | None  # 1-based data row; None: the whole file
    row_key: str | None
    raw: str | None  # JSON text of the row; a whole file: its text when small
    raw_file: str | None  # a whole file's kept copy under LLMBOARD_HOME
    reason: str


class RequestRow(NamedTuple):
    """``requests``: an evaluation request as it stands now."""

    request_id: str
    model_id: str
    base_model: str | None
    revision: str | None
    sha: str | None
    precision: str | None
    weight_type: str | None
    model_type: str | None
    model_type_raw: str | None
    use_chat_template: bool
    sender: str | None
    submitted_time: datetime | None
    job_id: str | None
    job_start_time: datetime | None
    status: str
    failure_kind: str | None
    failure_reason: str | None
    attempts: int
    params_b: float | None
    architectures: str | None
    license: str | None
    fingerprint: str | None  # JSON: weight file -> sha256
    source: str  # worker | import
    source_file: str | None
    log_tail: str | None
    progress: float | None
    progress_task: str | None
    raw: str  # JSON
    commit_position: int | None = None  # the revision in its model's history: 1 = first commit
    commit_date: datetime | None = None
    commit_title: str | None = None


class RunIntervalRow(NamedTuple):
    """``run_intervals``: one benchmark's (or the average's) standard error and 95% interval, normalized scale."""

    run_id: str
    benchmark: str  # a benchmark key, or "average"
    se: float | None
    ci_low: float | None
    ci_high: float | None
    method: str  # clustered | bootstrap | harness


class RequestEventRow(NamedTuple):
    """``request_events``: the status at position ``seq`` of a request's history."""

    request_id: str
    seq: int
    status: str
    changed_at: datetime | None
    reason: str | None
    origin: str | None


@dataclass
class Load:
    """Every row one file adds, built and checked before anything touches the database."""

    label: str  # the file, for reports and errors
    models: list[ModelRow] = field(default_factory=list)
    runs: list[RunRow] = field(default_factory=list)
    scores: list[RunScoreRow] = field(default_factory=list)
    benchmark_scores: list[BenchmarkScoreRow] = field(default_factory=list)
    flags: list[ImportedFlagRow] = field(default_factory=list)
    seen: list[IngestedFileRow] = field(default_factory=list)
    quarantined: list[QuarantineRow] = field(default_factory=list)
    intervals: list[RunIntervalRow] = field(default_factory=list)  # the runs' uncertainty
    task_hash_sets: list[TaskHashSetRow] = field(default_factory=list)  # those its runs name

    def __reduce__(self):
        """Pickled (an import's workers send Loads to the writer) as plain tuples: a NamedTuple row is pickled
        and unpickled through a Python call each way, which cost more than the row itself."""
        return _load_of_tuples, (self.label, *([tuple(row) for row in getattr(self, name)] for name in _LOAD_ROWS))


_LOAD_ROWS = {"models": ModelRow, "runs": RunRow, "scores": RunScoreRow, "benchmark_scores": BenchmarkScoreRow,
              "flags": ImportedFlagRow, "seen": IngestedFileRow, "quarantined": QuarantineRow,
              "intervals": RunIntervalRow, "task_hash_sets": TaskHashSetRow}
"""Load's row lists, in field order, and the kind of each."""


def _load_of_tuples(label: str, *rows: list[tuple]) -> Load:
    return Load(label, *(list(map(partial(tuple.__new__, kind), kind_rows))
                         for kind, kind_rows in zip(_LOAD_ROWS.values(), rows, strict=True)))


FRAMED = {"runs": RunRow, "scores": RunScoreRow, "benchmark_scores": BenchmarkScoreRow, "intervals": RunIntervalRow}
"""The row kinds of which a file has many (a results file: about 60 scores); ``Frames`` holds them as Arrow."""


@dataclass
class Frames:
    """Several files' Loads, their many rows (``FRAMED``) held as one Arrow table per kind, built where the
    files were parsed (an import's worker process): the writer then turns no Python rows into columns, and
    the tables cross the pipe as a few buffers instead of thousands of pickled tuples. The Loads keep their
    label and their few rows (models, seen, flags, quarantined); file i's rows of a framed kind are rows
    ``bounds[kind][i]`` to ``bounds[kind][i + 1]`` of its table."""

    loads: list[Load]
    tables: dict[str, pa.Table]
    bounds: dict[str, list[int]]

    def __reduce__(self):
        """Pickled with each table as an Arrow IPC stream (a fifth of the time of pickling the table)."""
        return _frames_of_streams, (self.loads, {kind: _stream(table) for kind, table in self.tables.items()},
                                    self.bounds)

    @classmethod
    def of(cls, loads: list[Load]) -> Frames:
        tables, bounds = {}, {}
        for kind, row_type in FRAMED.items():
            rows: list = []
            ends = [0]
            for load in loads:
                rows += getattr(load, kind)
                ends.append(len(rows))
            tables[kind], bounds[kind] = frame(row_type, rows), ends
        bare = [Load(load.label, models=load.models, flags=load.flags, seen=load.seen, quarantined=load.quarantined,
                     task_hash_sets=load.task_hash_sets) for load in loads]
        return cls(bare, tables, bounds)

    def part(self, start: int, stop: int) -> Frames:
        """Files ``start`` to ``stop`` (the tables sliced, not copied)."""
        tables, bounds = {}, {}
        for kind, table in self.tables.items():
            first, last = self.bounds[kind][start], self.bounds[kind][stop]
            tables[kind] = table.slice(first, last - first)
            bounds[kind] = [end - first for end in self.bounds[kind][start:stop + 1]]
        return Frames(self.loads[start:stop], tables, bounds)


def _stream(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as stream:
        stream.write_table(table)
    return sink.getvalue().to_pybytes()


def _frames_of_streams(loads: list[Load], streams: dict[str, bytes], bounds: dict[str, list[int]]) -> Frames:
    return Frames(loads, {kind: pa.ipc.open_stream(data).read_all() for kind, data in streams.items()}, bounds)


def files_of(parts: list[Load | Frames]) -> list[Load]:
    """Each file's Load (of a Frames, without its framed rows), in order."""
    return [load for part in parts for load in (part.loads if isinstance(part, Frames) else [part])]


def halves(parts: list[Load | Frames]) -> tuple[list[Load | Frames], list[Load | Frames]]:
    """The files split in two halves (a Frames in the middle is sliced)."""
    middle, left = len(files_of(parts)) // 2, []
    for i, part in enumerate(parts):
        size = len(part.loads) if isinstance(part, Frames) else 1
        if size > middle:
            if middle == 0:
                return left, parts[i:]
            assert isinstance(part, Frames)
            return [*left, part.part(0, middle)], [part.part(middle, size), *parts[i + 1:]]
        left.append(part)
        middle -= size
    return left, []


def select(parts: list[Load | Frames], keep: list[bool]) -> list[Load | Frames]:
    """The files whose ``keep`` is true (one flag a file, in order); a Frames is sliced around the others."""
    out: list[Load | Frames] = []
    i = 0
    for part in parts:
        if isinstance(part, Load):
            if keep[i]:
                out.append(part)
            i += 1
            continue
        size, start = len(part.loads), None
        for j in range(size + 1):
            if j < size and keep[i + j]:
                start = j if start is None else start
            elif start is not None:
                out.append(part if (start, j) == (0, size) else part.part(start, j))
                start = None
        i += size
    if i != len(keep):
        raise ValueError(f"select: {len(keep)} flags for {i} files")
    return out


def framed_tables(parts: list[Load | Frames]) -> dict[str, pa.Table]:
    """All these parts' rows of each framed kind as one table, in order: the Frames' tables and the Loads' rows
    (each run of consecutive Loads framed at once)."""
    tables = {}
    for kind, row_type in FRAMED.items():
        pieces, plain = [], []
        for part in [*parts, None]:
            if isinstance(part, Load):
                plain += getattr(part, kind)
                continue
            if plain or (part is None and not pieces):
                pieces.append(frame(row_type, plain))
                plain = []
            if part is not None:
                pieces.append(part.tables[kind])
        tables[kind] = pieces[0] if len(pieces) == 1 else pa.concat_tables(pieces)
    return tables


_ARROW_TYPES = {str: pa.string(), float: pa.float64(), bool: pa.bool_(), int: pa.int64(),
                datetime: pa.timestamp("us")}


@cache
def arrow_schema(row_type: type[tuple]) -> pa.Schema:
    """The Arrow schema of a row kind: one column per field, typed from the field's annotation."""
    fields = []
    for name, hint in typing.get_type_hints(row_type).items():
        if isinstance(hint, UnionType):  # X | None
            hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
        fields.append(pa.field(name, _ARROW_TYPES[hint]))
    return pa.schema(fields)


def columns(row_type: type[tuple]) -> list[str]:
    """The table columns a row kind holds, in order."""
    return list(row_type._fields)  # type: ignore[attr-defined]


def frame(row_type: type[tuple], rows: list) -> pa.Table:
    """Rows of one kind as an Arrow table with the kind's schema (for ``INSERT ... SELECT FROM``): converted as
    one array of structs, a row a struct (a third less time than transposing them and converting each column)."""
    rows_as_structs = pa.array(rows, type=_struct_type(row_type))
    return pa.Table.from_batches([pa.RecordBatch.from_struct_array(rows_as_structs)], schema=arrow_schema(row_type))


@cache
def _struct_type(row_type: type[tuple]) -> pa.StructType:
    return pa.struct(list(arrow_schema(row_type)))


def timestamp(value) -> datetime | None:
    """A time as the tables store it (naive UTC): from ISO text, epoch seconds or a datetime; None when
    missing or unreadable."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
    text = str(value).replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
