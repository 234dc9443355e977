"""Hostile files, generated (hypothesis): real request, results and contents files truncated at any byte, with
values of the wrong type (NaN, infinities, numbers past 64 bits), nested 10,000 deep, megabytes long, keys
renamed, dropped or added, bytes that are not UTF-8, a BOM, or nothing at all.

Each format's parser gives rows the warehouse can store or a ``FormatError`` that names the file and the
field in one short line, never another exception (thousands of cases each). Through the real import, a
folder mixing good files with hostile ones loads every good file, quarantines each file (or contents row)
the parser refused with its reason, and importing it again changes nothing.
"""

from __future__ import annotations

import functools
import json
import math
import tempfile
from datetime import datetime
from pathlib import Path

import orjson
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES
from tests.reliability import FULL
from tests.warehouse_files import needs_fixtures, table
from warehouse.formats import CONTENTS_SCHEMA, FormatError, parse_request, parse_results, read_contents_table
from warehouse.importers.scored_runs import run_rows
from warehouse.ingest import Writer, walk
from warehouse.rows import (
    BenchmarkScoreRow,
    Load,
    ModelRow,
    RunIntervalRow,
    RunRow,
    RunScoreRow,
    frame,
)

# Thousands of cases per format under LLMBOARD_RELIABILITY_FULL=1 (`make reliability`); a few hundred in
# `make test`, the same generator, so every kind of hostile file is still tried there.
CASES = 2000 if FULL else 300
PROPERTY = settings(max_examples=CASES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example])
BATCH = settings(max_examples=10, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.large_base_example])
MESSAGE_LIMIT = 600  # a clear error is one line a person reads, never the hostile value itself
INT32 = 2**31 - 1

REQUEST = (FIXTURES / "requests" / "open-llm-leaderboard__requests" / "b06cee1e3163d6a80710f67028a419c11fe9766d"
           / "Qwen" / "Qwen2-7B_eval_request_False_bfloat16_Original.json")
REQUEST_V1 = next((FIXTURES / "requests" / "open-llm-leaderboard-old__requests").rglob("*.json"), REQUEST) \
    if FIXTURES.exists() else REQUEST
OFFICIAL = next((FIXTURES / "results" / "official").rglob("*.json"), None) if FIXTURES.exists() else None
QWEN_RESULTS = FIXTURES / "results" / "Qwen__Qwen2.5-7B_results_2025-03-17T04-00-53.608606.json"  # no groups
LIGHTEVAL = {  # a 2023 leaderboard results file, shaped as the v1 leaderboard wrote them
    "config_general": {"model_name": "org/model", "model_sha": "abc", "model_dtype": "torch.float16",
                       "lighteval_sha": "def"},
    "results": {"harness|arc:challenge|25": {"acc": 0.5, "acc_stderr": 0.01, "acc_norm": 0.55},
                "harness|hendrycksTest-anatomy|5": {"acc": 0.56, "acc_stderr": 0.04},
                "harness|hendrycksTest-virology|5": {"acc": 0.46, "acc_stderr": 0.04},
                "all": {"acc": 0.6, "acc_stderr": 0.03}},
}
SAMPLE = FIXTURES / "contents" / "v2_contents_sample.csv"

# JSON text that no Python value serializes to: written in place of a marker string after encoding.
RAW_JSON = {
    "huge integer": "9" * 5000,  # past Python's 4,300-digit limit for int(text)
    "400-digit integer": "9" * 400,  # an int, but past a float's range: float() raises OverflowError
    "-400-digit integer": "-" + "9" * 400,
    "2**64": str(2**64),
    "-10**30": str(-(10**30)),
    "1e400": "1e400",
    "-1e400": "-1e400",
    "NaN": "NaN",
    "Infinity": "Infinity",
    "-Infinity": "-Infinity",
    "10,000 nested lists": "[" * 10_000 + "]" * 10_000,
    "10,000 nested objects": '{"a":' * 10_000 + "1" + "}" * 10_000,
    "3 MB string": '"' + "x" * 3_000_000 + '"',
    "1 MB of unicode": '"' + "é✓\\u0000\\ud800" * 100_000 + '"',
}
MARK = "\ue000raw:"
PLAIN_VALUES = [None, True, False, 0, -1, 1, 2**31, -(2**63), 2**63 - 1, 0.5, -0.0, 1e20, 1e308, 5e-324, "", " ", "x",
                "-1", "N/A", "nan", "2024-13-45", "9999-12-31T23:59:59", "0001-01-01", "\x00", "../../etc/passwd",
                "a/b", [], ["only"], [1, "a"], [[[]]], {}, {"a": None}, {"acc,none": "0.5"}]
HOSTILE_VALUE = st.one_of(
    st.sampled_from(PLAIN_VALUES),
    st.sampled_from(sorted(RAW_JSON)).map(lambda name: MARK + name),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.lists(st.integers(-5, 5) | st.text(max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(-5, 5) | st.none(), max_size=3),
)
HOSTILE_KEY = st.sampled_from(["", " ", "\x00", "ünï", "alias", "acc,none", "results", "config", "|", "a|b|c|d",
                               "acc_stderr,none", "x" * 300])
NOT_UTF8 = [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80", b"\xf8\x88\x80\x80\x80", b"\x00"]


def encode(doc) -> bytes:
    """The document as JSON bytes, each marker string replaced by its raw JSON text."""
    data = orjson.dumps(doc)
    if MARK.encode() not in data:
        return data
    for name, text in RAW_JSON.items():
        data = data.replace(orjson.dumps(MARK + name), text.encode())
    return data


def paths_of(doc, path=()) -> list[tuple]:
    """Every key and index path in a JSON document, parents before children."""
    found = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        found.append((*path, key))
        found.extend(paths_of(value, (*path, key)))
    return found


@st.composite
def mutated_json(draw, base: bytes, paths: list[tuple], shallow: list[tuple]) -> bytes:
    """A valid JSON file made hostile: values replaced, keys dropped, renamed or added, then perhaps its bytes
    cut at any point, spliced with bytes that are not UTF-8, prefixed with a BOM, or emptied."""
    doc = orjson.loads(base)
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["replace", "replace", "delete", "rename", "add", "root"]))
        if op == "root":
            doc = draw(HOSTILE_VALUE)
            continue
        path = draw(st.sampled_from([p for p in paths if len(p) == 1]) | st.sampled_from(shallow)
                    | st.sampled_from(paths))
        try:
            parent = doc
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]]
        except (KeyError, IndexError, TypeError):  # an earlier step changed the document above this path
            continue
        key = path[-1]
        if op == "replace":
            parent[key] = draw(HOSTILE_VALUE)
        elif op == "delete":
            del parent[key]
        elif op == "rename" and isinstance(parent, dict):
            new = draw(st.sampled_from([key.upper(), key + " ", "_" + key, key.replace("_", "-")]) | HOSTILE_KEY)
            parent[new] = parent.pop(key)
        elif op == "add" and isinstance(parent[key], dict):
            parent[key][draw(HOSTILE_KEY | st.text(max_size=10))] = draw(HOSTILE_VALUE)
    data = encode(doc)
    return damaged(draw, data, ["none", "none", "none", "truncate", "truncate", "not utf-8", "bom", "utf-16",
                                "empty", "whitespace"])


def damaged(draw, data: bytes, cuts: list[str]) -> bytes:
    """``data`` left whole or damaged in one of the ``cuts`` ways (drawn)."""
    cut = draw(st.sampled_from(cuts))
    if cut == "truncate":
        data = data[:draw(st.integers(0, max(len(data) - 1, 0)))]
    elif cut == "not utf-8":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from(NOT_UTF8)) + data[at:]
    elif cut == "bom":
        data = b"\xef\xbb\xbf" + data
    elif cut == "utf-16":
        data = data.decode("utf-8", "replace").encode("utf-16")
    elif cut == "empty":
        data = b""
    elif cut == "whitespace":
        data = b" \n\t"
    return data


def one_clear_line(error: FormatError, path: Path) -> None:
    """The project's error: names the file and a field, one line, short (never the hostile value whole)."""
    message = str(error)
    assert message.startswith(f"{path}: field "), message[:300]
    assert error.field, message[:300]
    assert "\n" not in message and len(message) <= MESSAGE_LIMIT + len(str(path)), message[:300]


def storable(row_type: type[tuple], rows: list) -> None:
    """Rows the warehouse's Arrow schema takes as they are."""
    frame(row_type, rows)


# ---- request files ----

def check_request(parsed, path: Path) -> None:
    assert isinstance(parsed.model, str) and parsed.model.strip()
    for name in ("base_model", "revision", "precision", "weight_type", "status", "model_type", "model_type_raw",
                 "job_id", "sender", "architectures", "license"):
        assert isinstance(getattr(parsed, name), str | None), name
    for name in ("submitted_time", "job_start_time"):
        value = getattr(parsed, name)
        assert value is None or (isinstance(value, datetime) and value.tzinfo is not None), name
    assert parsed.params_b is None or (type(parsed.params_b) is float and math.isfinite(parsed.params_b))
    assert parsed.likes is None or (type(parsed.likes) is int and -(2**63) <= parsed.likes < 2**63)
    assert type(parsed.private) is bool and type(parsed.use_chat_template) is bool
    assert isinstance(parsed.raw, dict) and parsed.source_file == str(path)


def request_files():
    bases = [REQUEST.read_bytes(), REQUEST_V1.read_bytes()]
    return st.sampled_from(bases).flatmap(lambda base: mutated_json(base, paths_of(orjson.loads(base)),
                                                                    paths_of(orjson.loads(base))))


def parse_request_or_error(path: Path):
    try:
        parsed = parse_request(path)
    except FormatError as error:
        one_clear_line(error, path)
        return error
    check_request(parsed, path)
    return parsed


@needs_fixtures
@PROPERTY
@given(data=st.data())
def test_any_request_file_parses_or_names_its_field(data, hostile_dir):
    content = data.draw(request_files(), label="file")
    path = hostile_dir / "org" / "model_eval_request_False_bfloat16_Original.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    parse_request_or_error(path)


# ---- results files ----

def results_files():
    official = OFFICIAL.read_bytes()
    doc = orjson.loads(official)
    # and the task configuration fields scoring reads (a doc_to_choice of one choice made chance a certainty)
    shallow = [p for p in paths_of(doc) if len(p) <= 2 or p[0] in ("results", "groups", "n-samples", "n-shot")
               or p[-1] in ("doc_to_choice", "num_fewshot")]
    lighteval = orjson.dumps(LIGHTEVAL)
    return st.one_of(mutated_json(official, paths_of(doc), shallow),
                     mutated_json(lighteval, paths_of(LIGHTEVAL), paths_of(LIGHTEVAL)),
                     scoring_damage(official))


# Values that once ended an import from inside the arithmetic: a doc_to_choice of fewer than 2 choices
# (chance 1/1, normalizing divided by zero), integers past a float's range (float() overflowed) and
# stderrs whose square does (1e200).
SCORING_VALUES = [[], ["only"], ["a", "b"], MARK + "400-digit integer", MARK + "-400-digit integer", 1e308, 1e200,
                  -0.5, 2.0, 0.0, 0]


@st.composite
def scoring_damage(draw, base: bytes) -> bytes:
    """The official file with one to three of the values scoring reads (a task's doc_to_choice, a score, its
    stderr, a sample or few-shot count, the date) set to one of ``SCORING_VALUES``."""
    doc = orjson.loads(base)
    targets = [p for p in paths_of(doc) if p[-1] == "doc_to_choice" or p == ("date",)
               or (p[0] in ("results", "groups") and len(p) == 3 and p[-1] != "alias")
               or (p[0] == "n-samples" and len(p) == 3) or (p[0] == "n-shot" and len(p) == 2)]
    for _ in range(draw(st.integers(1, 3))):
        parent = doc
        path = draw(st.sampled_from(targets))
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = draw(st.sampled_from(SCORING_VALUES))
    return encode(doc)


def results_rows_or_error(path: Path):
    """The results file parsed and scored into the rows an import stores, or its FormatError."""
    try:
        parsed = parse_results(path)
        load = Load(str(path))
        run_rows(parsed, load, run_id="r" * 32, origin="results-file", source_file=str(path), raw_file=None)
    except FormatError as error:
        one_clear_line(error, path)
        return error
    for row in parsed.scores:
        assert isinstance(row.task, str) and isinstance(row.metric, str) and isinstance(row.filter, str)
        assert type(row.value) is float and math.isfinite(row.value)
        assert row.stderr is None or (type(row.stderr) is float and math.isfinite(row.stderr))
        assert row.n_samples is None or (type(row.n_samples) is int and 0 <= row.n_samples <= INT32), row
    assert all(type(v) is int and abs(v) <= INT32 for v in parsed.num_fewshot.values())
    assert all(isinstance(m, list) and all(isinstance(t, str) for t in m) for m in parsed.group_subtasks.values())
    assert parsed.evaluated_at is None or parsed.evaluated_at.tzinfo is not None
    for row_type, rows in ((ModelRow, load.models), (RunRow, load.runs), (RunScoreRow, load.scores),
                           (BenchmarkScoreRow, load.benchmark_scores), (RunIntervalRow, load.intervals)):
        storable(row_type, rows)
    assert all(math.isfinite(v) for r in load.scores for v in (r.value, r.normalized) if v is not None)
    return load


@pytest.mark.skipif(OFFICIAL is None, reason="../shared/fixtures is not present")
@PROPERTY
@given(data=st.data())
def test_any_results_file_scores_or_names_its_field(data, hostile_dir):
    path = hostile_dir / "results_2024-06-17T14-37-59.603167.json"
    path.write_bytes(data.draw(results_files(), label="file"))
    results_rows_or_error(path)


# ---- contents tables ----

@functools.cache
def nested_column(depth: int, height: int) -> pa.Array:
    """Lists of lists, ``depth`` deep (Arrow itself cannot build 10,000 levels: it overflows its stack)."""
    array = pa.array([1] * height)
    for _ in range(depth):
        array = pa.ListArray.from_arrays(pa.array(range(height + 1), pa.int32()), array)
    return array


def parquet_column(kind: str, height: int) -> pa.Array:
    """A column of a type the published table never has."""
    if kind.startswith("nested "):
        return nested_column(int(kind.split()[1]), height)
    values = {
        "int64": [2**63 - 1, -(2**63), 0], "uint64": [2**64 - 1, 0, 1], "float": [math.nan, math.inf, 1e308],
        "bool": [True, False, None], "list": [[1, 2], [], None], "struct": [{"a": 1}, {"a": None}, None],
        "binary": [b"\xff\xfe", b"", None], "null": [None, None, None], "date": [None, None, None],
        "huge text": ["x" * 1_000_000, "", None], "dictionary": ["a", "b", None],
    }[kind]
    values = [values[i % len(values)] for i in range(height)]
    if kind == "uint64":
        return pa.array(values, pa.uint64())
    if kind == "binary":
        return pa.array(values, pa.binary())
    if kind == "date":
        return pa.array([datetime(1, 1, 1).date()] * height, pa.date32())
    if kind == "dictionary":
        return pa.array(values).dictionary_encode()
    return pa.array(values)


CONTENTS_TEXT = st.one_of(
    st.sampled_from(["", " ", "nan", "None", "True", "yes", "-1", "1e400", "-1e400", "inf", "NaN", "9" * 400,
                     "2024-13-45", "0001-01-01", "\x00", '"', "a,b", "line\nbreak", "org/ünï", "x" * 1_000_000]),
    st.text(max_size=20),
    st.floats().map(str),
    st.integers().map(str),
)
PARQUET_KINDS = ["int64", "uint64", "float", "bool", "list", "struct", "binary", "null", "date", "huge text",
                 "dictionary", "nested 5", "nested 100", "nested 101", "nested 1000"]


@functools.cache
def sample_rows() -> pl.DataFrame:
    return pl.read_csv(SAMPLE, infer_schema_length=0, n_rows=40)


@st.composite
def contents_files(draw) -> tuple[str, bytes]:
    """(suffix, bytes): a few real rows of the published table, made hostile cell by cell, column by column
    (renamed, dropped, added, of another type in Parquet) and byte by byte."""
    base = sample_rows()
    rows = draw(st.lists(st.integers(0, base.height - 1), max_size=4, unique=True))
    frame_ = base[rows] if rows else base.clear()
    suffix = draw(st.sampled_from([".csv", ".parquet"]))
    columns = sorted(frame_.columns)
    cells = {c: frame_[c].to_list() for c in frame_.columns}
    for _ in range(draw(st.integers(0, 4)) if frame_.height else 0):
        column = draw(st.sampled_from(columns))
        cells[column][draw(st.integers(0, frame_.height - 1))] = draw(CONTENTS_TEXT | st.none())
    frame_ = pl.DataFrame(cells, schema={c: pl.String for c in cells})
    for _ in range(draw(st.integers(0, 2))):
        op, column = draw(st.sampled_from(["rename", "drop", "add"])), draw(st.sampled_from(columns))
        if column not in frame_.columns:
            continue
        if op == "rename":
            new = draw(st.sampled_from([column + " ", column.upper(), "Maintainer's Highlight", "Average"]))
            if new not in frame_.columns:
                frame_ = frame_.rename({column: new})
        elif op == "drop":
            frame_ = frame_.drop(column)
        elif draw(HOSTILE_KEY) not in frame_.columns:
            frame_ = frame_.with_columns(pl.lit(draw(CONTENTS_TEXT)).alias(draw(HOSTILE_KEY)))
    if suffix == ".csv":
        data = frame_.write_csv().encode()
    else:
        arrow = pa.table({c: pa.array(frame_[c].to_list(), pa.string()) for c in frame_.columns})
        for _ in range(draw(st.integers(0, 2)) if arrow.num_columns else 0):
            index = draw(st.integers(0, arrow.num_columns - 1))
            arrow = arrow.set_column(index, arrow.schema.field(index).name,
                                     parquet_column(draw(st.sampled_from(PARQUET_KINDS)), arrow.num_rows))
        sink = pa.BufferOutputStream()
        pq.write_table(arrow, sink)
        data = sink.getvalue().to_pybytes()
    return suffix, damaged(draw, data, ["none", "none", "none", "truncate", "not utf-8", "bom", "empty"])


def contents_or_error(path: Path):
    try:
        contents = read_contents_table(path)
    except FormatError as error:
        one_clear_line(error, path)
        return error
    except pl.exceptions.PanicException as panic:  # a BaseException: hypothesis would not shrink it
        raise AssertionError(f"polars panicked: {str(panic)[:200]}") from None
    rows = contents.frame
    assert dict(rows.schema) == CONTENTS_SCHEMA
    assert len(contents.problems) == rows.height == contents.source.height
    for row, problem in zip(rows.iter_rows(named=True), contents.problems, strict=True):
        if problem is not None:
            assert problem.field and "\n" not in str(problem) and len(str(problem)) <= MESSAGE_LIMIT, problem
            continue
        assert isinstance(row["model"], str) and row["model"].strip()
        assert all(v is None or math.isfinite(v) for k, v in row.items() if CONTENTS_SCHEMA[k] == pl.Float64)
        assert row["hub_hearts"] is None or 0 <= row["hub_hearts"] <= INT32
    return contents


@needs_fixtures
@PROPERTY
@given(file=contents_files())
def test_any_contents_table_reads_row_by_row_or_names_its_fault(file, hostile_dir):
    suffix, content = file
    path = hostile_dir / f"contents{suffix}"
    path.write_bytes(content)
    contents_or_error(path)


# ---- a folder of good and hostile files, through the real import ----

@pytest.fixture(scope="module")
def hostile_dir():
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        yield Path(tmp)


def state(home: Path) -> dict:
    return {t: table(home, f"SELECT * FROM {t} ORDER BY ALL")
            for t in ("runs", "scores", "benchmark_scores", "models", "flags", "requests", "request_events",
                      "quarantine", "ingested_files")}


def import_folder(kind: str, folder: Path, home: Path):
    files = walk([folder], (".csv", ".parquet") if kind == "contents" else (".json",))
    with Writer(home) as w:
        if kind == "contents":
            from warehouse.ingest import ImportReport

            report = ImportReport("contents")
            for f in files:
                report.add(w.import_contents(f))
            return files, report
        return files, (w.import_requests if kind == "requests" else w.import_results)(files)


def check_batch(kind: str, folder: Path, home: Path, good: list[Path], hostile: list[Path], refused: set[Path]):
    """Import the folder twice: every good file loads, exactly the refused ones are quarantined with a reason
    naming them, every file is accounted for once, and the second import changes nothing."""
    files, report = import_folder(kind, folder, home)
    assert sorted(files) == sorted(good + hostile)
    out = report.as_json()
    loaded, failed, unchanged = (set(map(Path, out["files"][k])) for k in ("loaded", "failed", "unchanged"))
    assert set(good) <= loaded
    assert len(loaded) + len(failed) + len(unchanged) == len(files)
    whole = {Path(q["file"]) for q in out["quarantined"] if q["row"] is None}
    assert whole == refused and refused <= failed, (whole, refused, out["errors"])
    for q in out["quarantined"]:
        assert q["reason"] and "\n" not in q["reason"] and len(q["reason"]) <= MESSAGE_LIMIT + len(q["file"])
    for error in out["errors"]:
        assert any(error.startswith(str(f)) for f in files), error[:300]
    assert table(home, "SELECT count(*) FROM quarantine") == [(len(out["quarantined"]),)]
    before = state(home)
    _, again = import_folder(kind, folder, home)
    assert state(home) == before
    return report, again


def write_files(folder: Path, name: str, suffix: str, contents: list[bytes]) -> list[Path]:
    out = []
    for i, data in enumerate(contents):
        path = folder / f"{name}-{i:02d}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        out.append(path)
    return out


@pytest.mark.slow  # ~2 s an example: two writer sessions on a real DuckDB file, each publishing
@needs_fixtures
@BATCH
@given(data=st.data())
def test_a_folder_of_good_and_hostile_request_files_loads_the_good_ones(data):
    hostile_bytes = data.draw(st.lists(request_files(), min_size=1, max_size=5), label="hostile")
    with tempfile.TemporaryDirectory() as tmp:
        folder, home = Path(tmp) / "requests", Path(tmp) / "home"
        good = [folder / REQUEST.name, folder / "old" / REQUEST_V1.name]
        for path, source in zip(good, (REQUEST, REQUEST_V1), strict=True):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(source.read_bytes())
        hostile = write_files(folder / "z", "x_eval_request_False_float16_Original", ".json", hostile_bytes)
        refused = {p for p in hostile if isinstance(parse_request_or_error(p), FormatError)}
        report, again = check_batch("requests", folder, home, good, hostile, refused)
        assert set(map(Path, again.failed)) == refused and not again.loaded


@pytest.mark.slow
@pytest.mark.skipif(OFFICIAL is None, reason="../shared/fixtures is not present")
@BATCH
@given(data=st.data())
def test_a_folder_of_good_and_hostile_results_files_loads_the_good_ones(data):
    hostile_bytes = data.draw(st.lists(results_files(), min_size=1, max_size=5), label="hostile")
    with tempfile.TemporaryDirectory() as tmp:
        folder, home = Path(tmp) / "results", Path(tmp) / "home"
        good = write_files(folder, "a-good", ".json", [OFFICIAL.read_bytes(), orjson.dumps(LIGHTEVAL),
                                                       QWEN_RESULTS.read_bytes()])
        hostile = write_files(folder, "b-hostile", ".json", hostile_bytes)
        refused = {p for p in hostile if isinstance(results_rows_or_error(p), FormatError)}
        report, again = check_batch("results", folder, home, good, hostile, refused)
        assert table(home, "SELECT count(*) FROM runs") == [(len(report.loaded),)]
        assert set(map(Path, again.failed)) == refused and not again.loaded


@pytest.mark.slow
@needs_fixtures
@BATCH
@given(data=st.data())
def test_a_folder_of_good_and_hostile_contents_tables_loads_the_good_ones(data):
    hostile_files = data.draw(st.lists(contents_files(), min_size=1, max_size=4, unique_by=lambda f: f[1]),
                              label="hostile")  # a copy of a table read before is unchanged, by design
    with tempfile.TemporaryDirectory() as tmp:
        folder, home = Path(tmp) / "contents", Path(tmp) / "home"
        folder.mkdir()
        sample = pl.read_csv(SAMPLE, infer_schema_length=0)
        good = [folder / "a-good-0.csv", folder / "a-good-1.parquet"]
        sample[200:210].write_csv(good[0])
        pl.read_csv(sample[210:220].write_csv().encode()).write_parquet(good[1])  # Parquet with its own types
        hostile = [folder / f"b-hostile-{i:02d}{suffix}" for i, (suffix, _) in enumerate(hostile_files)]
        for path, (_, content) in zip(hostile, hostile_files, strict=True):
            path.write_bytes(content)
        tables = {p: contents_or_error(p) for p in hostile}
        refused = {p for p, t in tables.items() if isinstance(t, FormatError)}
        report, again = check_batch("contents", folder, home, good, hostile, refused)
        out = report.as_json()
        assert out["rows"]["loaded"] >= 20 and table(home, "SELECT count(*) FROM runs") == [(out["rows"]["loaded"],)]
        assert out["rows"]["read"] == out["rows"]["loaded"] + out["rows"]["unchanged"] + out["rows"]["quarantined"]
        by_row = {(Path(q["file"]), q["row"]): q["reason"] for q in out["quarantined"] if q["row"] is not None}
        for path, contents in tables.items():
            if isinstance(contents, FormatError):
                continue
            for i, problem in enumerate(contents.problems):
                if problem is not None:  # a row the reader found wrong is set aside with that reason
                    assert by_row[path, i + 1] == str(problem)
        assert again.rows_loaded == 0 and {Path(f) for f in again.unchanged} == set(good) | {
            p for p in hostile if p not in refused}
        json.dumps(out, allow_nan=False)  # what `--json` prints: plain JSON, whatever the files held


# ---- what the properties found, kept as plain examples ----

@pytest.mark.skipif(OFFICIAL is None, reason="../shared/fixtures is not present")
def test_twin_files_that_fail_are_both_quarantined(tmp_path):
    """Two files of the same bad content in one import: the second is no 'unchanged' file (nothing of it
    is stored); it is quarantined with its twin's reason. Twins of a good file are unchanged."""
    folder = tmp_path / "results"
    good = write_files(folder, "a-good", ".json", [OFFICIAL.read_bytes()] * 2)
    bad = write_files(folder, "b-empty", ".json", [b"", b""])
    files, report = import_folder("results", folder, tmp_path / "home")
    assert report.loaded == [str(good[0])] and report.unchanged == [str(good[1])]
    assert report.failed == [str(p) for p in bad] and len(report.quarantined) == 2
    assert "same content as" in report.quarantined[1].reason and str(bad[0]) in report.quarantined[1].reason
    assert report.rows_read == len(files) == 4


def import_good_and_bad(tmp_path: Path, bad: dict[str, bytes]):
    """The official file and the ``bad`` ones (name → content) in one folder, through ``Writer.import_results``:
    the good file loads; each bad one is quarantined, its reason → by name."""
    folder = tmp_path / "results"
    good = write_files(folder, "a-good", ".json", [OFFICIAL.read_bytes()])
    hostile = {name: write_files(folder / name, "b", ".json", [data])[0] for name, data in bad.items()}
    _, report = import_folder("results", folder, tmp_path / "home")
    assert report.loaded == [str(good[0])], report.errors
    assert table(tmp_path / "home", "SELECT source_file FROM runs") == [(str(good[0]),)]
    reasons = {q.source_file: q.reason for q in report.quarantined}
    assert set(reasons) == {str(p) for p in hostile.values()}, report.errors
    for reason in reasons.values():
        assert "\n" not in reason and len(reason) <= MESSAGE_LIMIT + 200, reason
    return {name: reasons[str(path)].removeprefix(f"{path}: ") for name, path in hostile.items()}


def official_with(*changes: tuple[tuple, object]) -> bytes:
    """The official file with each (path, value) set; a value of ``MARK + name`` is written as raw JSON."""
    data = orjson.loads(OFFICIAL.read_bytes())
    for path, value in changes:
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = value
    return encode(data)


BBH_TASK = "leaderboard_bbh_boolean_expressions"  # its doc_to_choice is ["False", "True"]


@pytest.mark.skipif(OFFICIAL is None, reason="../shared/fixtures is not present")
def test_a_task_of_fewer_than_two_choices_is_quarantined_naming_doc_to_choice(tmp_path):
    """Its chance level, 1 / choices, would be 1 (certainty): normalizing against it divided by zero and the
    ZeroDivisionError ended the whole import. Now the file is refused, naming the task's doc_to_choice."""
    field = f"field 'configs.{BBH_TASK}.doc_to_choice'"
    reasons = import_good_and_bad(tmp_path, {
        "one": official_with((("configs", BBH_TASK, "doc_to_choice"), ["True"])),
        "none": official_with((("configs", BBH_TASK, "doc_to_choice"), [])),
    })
    assert reasons["one"].startswith(field) and "a list of 1 choice; expected at least 2" in reasons["one"]
    assert reasons["none"].startswith(field) and "a list of 0 choices; expected at least 2" in reasons["none"]
    # a task no benchmark scores may have one choice: nothing divides by its chance level
    data = orjson.loads(OFFICIAL.read_bytes())
    data["configs"]["my_task"] = {"doc_to_choice": ["only"]}
    path = tmp_path / "unscored.json"
    path.write_bytes(orjson.dumps(data))
    assert isinstance(results_rows_or_error(path), Load)


@pytest.mark.skipif(OFFICIAL is None, reason="../shared/fixtures is not present")
def test_numbers_past_a_float_are_quarantined_naming_their_field(tmp_path):
    """A 400-digit integer is valid JSON but no float: float() raised OverflowError (and a finite stderr of
    1e200, squared, did too), which ended the whole import. Each is now refused, naming its field."""
    huge = MARK + "400-digit integer"
    reasons = import_good_and_bad(tmp_path, {
        "metric": official_with((("results", "leaderboard_ifeval", "prompt_level_strict_acc,none"), huge)),
        "stderr": official_with((("results", BBH_TASK, "acc_norm_stderr,none"), MARK + "-400-digit integer")),
        "group": official_with((("groups", "leaderboard_bbh", "acc_norm,none"), huge)),
        "n-samples": official_with((("n-samples", BBH_TASK, "effective"), huge)),
        "n-shot": official_with((("n-shot", BBH_TASK), huge)),
        "date": official_with((("date",), huge)),
        "big stderr": official_with((("results", "leaderboard_mmlu_pro", "acc_stderr,none"), 1e200)),
    })
    assert reasons["metric"].startswith("field 'results.leaderboard_ifeval': 'prompt_level_strict_acc,none': "
                                        "expected a finite number, got an integer past a float's range")
    assert reasons["stderr"].startswith(f"field 'results.{BBH_TASK}': 'acc_norm_stderr,none': expected a finite")
    assert reasons["group"].startswith("field 'groups.leaderboard_bbh': 'acc_norm,none': expected a finite")
    assert reasons["n-samples"].startswith(f"field 'n-samples.{BBH_TASK}': expected ")
    assert reasons["n-shot"].startswith(f"field 'n-shot.{BBH_TASK}': expected a whole number")
    assert reasons["date"].startswith("field 'date': expected a Unix time in seconds")
    assert reasons["big stderr"] == ("field 'results.leaderboard_mmlu_pro': acc_stderr: expected a standard error "
                                     "from 0 to 1, got 1e+200")


@pytest.mark.skipif(OFFICIAL is None, reason="../shared/fixtures is not present")
def test_scores_out_of_range_and_groups_of_no_samples_are_named(tmp_path):
    data = orjson.loads(OFFICIAL.read_bytes())
    path = tmp_path / "results_2024-06-17T14-37-59.603167.json"
    for task in ("leaderboard_gpqa_diamond", "leaderboard_gpqa_extended", "leaderboard_gpqa_main"):
        data["n-samples"][task] = {"original": 0, "effective": 0}
    del data["groups"], data["results"]["leaderboard_gpqa"]  # the group is rebuilt from subtasks of no samples
    path.write_bytes(orjson.dumps(data))
    load = results_rows_or_error(path)  # was a ZeroDivisionError
    assert isinstance(load, Load) and load.runs[0].average is None
    data["results"]["leaderboard_ifeval"]["prompt_level_strict_acc,none"] = 1e308  # once an infinite score
    data["date"] = 1e300  # once an OverflowError
    path.write_bytes(orjson.dumps(data))
    error = results_rows_or_error(path)
    assert isinstance(error, FormatError) and error.field == "date"
    del data["date"]
    path.write_bytes(orjson.dumps(data))
    error = results_rows_or_error(path)
    assert isinstance(error, FormatError) and error.field == "results.leaderboard_ifeval"
    assert "expected a share from 0 to 1" in str(error)
