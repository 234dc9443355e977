"""The leaderboard's published ``contents`` table (CSV or Parquet): read into our snake_case columns
(CONTENTS_SCHEMA), and written back with the published table's exact columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from core.benchmarks import LEADERBOARD_V2
from warehouse.formats.common import FormatError, shown
from warehouse.formats.labels import CONTENTS_TYPE_LABELS, normalize_model_type, normalize_precision

# Our benchmark key → the table's column label (its "Raw" column adds " Raw").
BENCHMARK_COLUMNS = {benchmark.key: benchmark.display for benchmark in LEADERBOARD_V2.benchmarks}

# The published table's columns, in order: real name → our column (None: derived on export, never read).
CONTENTS_COLUMNS: dict[str, str | None] = {
    "eval_name": "eval_name",
    "Precision": "precision",
    "Type": "model_type",
    "T": None,  # the Type's emoji
    "Weight type": "weight_type",
    "Architecture": "architecture",
    "Model": None,  # an HTML link built from fullname
    "fullname": "model",
    "Model sha": "sha",
    "Average ⬆️": "average",
    "Hub License": "license",
    "Hub ❤️": "hub_hearts",
    "#Params (B)": "params_b",
    "Available on the hub": "available_on_hub",
    "MoE": "moe",
    "Flagged": "flagged",
    "Chat Template": "chat_template",
    "CO₂ cost (kg)": "co2_kg",
    **{
        f"{label}{suffix}": f"{key}{our}"
        for key, label in BENCHMARK_COLUMNS.items()
        for suffix, our in ((" Raw", "_raw"), ("", ""))
    },
    "Merged": "merged",
    "Official Providers": "official",
    "Upload To Hub Date": "upload_date",
    "Submission Date": "submission_date",
    "Generation": "generation",
    "Base Model": "base_model",
}
_CONTENTS_ALIASES = {"Maintainer's Highlight": "Official Providers"}  # an older snapshot's name
_REQUIRED_CONTENTS = (
    "fullname",
    "Precision",
    "Average ⬆️",
    *(c for c, ours in CONTENTS_COLUMNS.items() if ours and ours.split("_raw")[0] in BENCHMARK_COLUMNS),
)
_FLOAT_COLUMNS = {
    "average",
    "params_b",
    "co2_kg",
    *(f"{k}{s}" for k in BENCHMARK_COLUMNS for s in ("", "_raw")),
}
_INT_COLUMNS = {"hub_hearts", "generation"}
_BOOL_COLUMNS = {"available_on_hub", "moe", "flagged", "merged", "official", "chat_template"}
_DATE_COLUMNS = {"upload_date", "submission_date"}
_INT32_COLUMNS = {"hub_hearts"}  # a count the warehouse keeps as a 32-bit integer
_EXPECTED = {pl.Float64: "a finite number", pl.Int64: "a whole number",
             pl.Boolean: "True or False", pl.Date: "a date YYYY-MM-DD"}
CONTENTS_SCHEMA: dict[str, Any] = {
    ours: (
        pl.Float64
        if ours in _FLOAT_COLUMNS
        else pl.Int64
        if ours in _INT_COLUMNS
        else pl.Boolean
        if ours in _BOOL_COLUMNS
        else pl.Date
        if ours in _DATE_COLUMNS
        else pl.String
    )
    for ours in CONTENTS_COLUMNS.values()
    if ours
}
_LINK_STYLE = "color: var(--link-text-color); text-decoration: underline;text-decoration-style: dotted;"


class RowProblem(NamedTuple):
    """Why one row of a contents table cannot be loaded: the first field at fault and what it should be."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"field {shown(self.field, 200)}: {self.message}"


class ContentsTable(NamedTuple):
    """A contents file read row by row: every row is kept, each with the first problem found in it."""

    frame: pl.DataFrame  # our columns (CONTENTS_SCHEMA), one row per row of the file; a bad value is null
    source: pl.DataFrame  # the file's rows as read, under the published names (for the rows set aside)
    problems: list[RowProblem | None]  # per row: what keeps it from loading, or None
    unknown_columns: list[str]  # columns the published schema does not have (ignored)


def read_contents(path: str | Path) -> pl.DataFrame:
    """Read the leaderboard's ``contents`` table (``.csv`` or ``.parquet``) into our snake_case columns
    (see CONTENTS_SCHEMA). ``model`` comes from ``fullname``; the ``Model`` HTML link is never read.
    Strict: the first row that cannot be read raises FormatError naming the column (``read_contents_table``
    keeps going instead)."""
    table = read_contents_table(path)
    for problem in table.problems:
        if problem is not None:
            raise FormatError(str(path), problem.field, problem.message)
    return table.frame


def read_contents_table(path: str | Path) -> ContentsTable:
    """Read a ``contents`` table row by row: a value that does not convert, an empty ``fullname`` or a
    missing required column is that row's problem, not the file's. FormatError only when the file cannot
    be read as a table at all."""
    path = Path(path)
    source = _read_table(path, str(path))
    source = source.rename({old: new for old, new in _CONTENTS_ALIASES.items()
                            if old in source.columns and new not in source.columns})
    known = {*CONTENTS_COLUMNS, *_CONTENTS_ALIASES}
    unknown = [c for c in source.columns if c not in known and c.strip()]  # "": a pandas index
    problems: list[RowProblem | None] = [None] * source.height
    missing = [name for name in _REQUIRED_CONTENTS if name not in source.columns]
    if missing:
        problem = RowProblem(missing[0], "column missing (renamed?); a contents table needs "
                                         + ", ".join(_REQUIRED_CONTENTS))
        problems = [problem] * source.height
    columns = []
    for real, ours in CONTENTS_COLUMNS.items():
        if ours is None:
            continue
        if real not in source.columns:
            columns.append(pl.Series(ours, [None] * source.height, dtype=CONTENTS_SCHEMA[ours]))
            continue
        converted, bad, expected = _convert(source, real, ours)
        columns.append(converted)
        for i in bad:
            value = source[real].slice(i, 1).to_list()[0]  # a Python value (a list cell is no Series)
            problems[i] = problems[i] or RowProblem(real, f"expected {expected} or empty, got {shown(value)}")
    frame = pl.DataFrame(columns, schema=CONTENTS_SCHEMA)
    for i in (frame["model"].str.strip_chars().fill_null("") == "").arg_true().to_list():
        problems[i] = problems[i] or RowProblem("fullname", "empty; expected the model's hub id (org/name)")
    frame = frame.with_columns(
        pl.col("model_type").map_elements(normalize_model_type, return_dtype=pl.String),
        pl.col("precision").map_elements(normalize_precision, return_dtype=pl.String),
    )
    return ContentsTable(frame, source, problems, unknown)


def _read_table(path: Path, source: str) -> pl.DataFrame:
    """The file as it is: a CSV all text, a Parquet file with its own types."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pl.read_csv(path, infer_schema_length=0)
        if suffix in (".parquet", ".pq"):
            # Arrow's reader, not polars': it refuses a corrupt page (polars panics) and a schema nested
            # past 100 levels (polars follows it until its stack overflows and the process dies).
            frame = pl.from_arrow(pq.read_table(path))
            return frame if isinstance(frame, pl.DataFrame) else frame.to_frame()
        raise FormatError(source, "(file)", "unknown extension; expected a .csv or .parquet contents table")
    except (pl.exceptions.PolarsError, pa.ArrowException, OSError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise FormatError(source, "(file)", f"cannot be read as {suffix[1:]} ({reason})") from None


def _convert(frame: pl.DataFrame, real: str, ours: str) -> tuple[pl.Series, list[int], str]:
    """One published column → our column's type: (the column, the rows whose value did not convert, what
    was expected). Empty text ("", "nan", "None"...) and NaN become null; so does a value that does not
    convert (its row is listed)."""
    column = frame[real]
    target = CONTENTS_SCHEMA[ours]
    expected = "a count from 0 to 2147483647" if ours in _INT32_COLUMNS else _EXPECTED.get(target, "text")
    if column.dtype == pl.Null:
        return pl.Series(ours, [None] * frame.height, dtype=target), [], expected
    if column.dtype == target == pl.String:  # text stays as written
        return column.alias(ours), [], expected
    if column.dtype == pl.String:
        stripped = column.str.strip_chars()
        empty = stripped.is_in(["", "nan", "NaN", "None", "null"])
        text = stripped.zip_with(~empty, pl.Series([None] * frame.height, dtype=pl.String)).alias(ours)
    elif column.dtype.is_float():
        text = column.fill_nan(None).alias(ours)
    else:
        text = column.alias(ours)
    try:
        converted = _cast(text, target)
        if converted.dtype != target:  # a struct casts field by field, and stays a struct
            raise pl.exceptions.InvalidOperationError(f"{text.dtype} does not convert to {target}")
    except pl.exceptions.PolarsError:  # a type with no conversion (a list, a struct...): every value is wrong
        converted = pl.Series(ours, [None] * frame.height, dtype=target)
    bad = text.is_not_null() & converted.is_null()
    if target == pl.Float64:
        bad = bad | converted.is_infinite().fill_null(False)
    elif ours in _INT32_COLUMNS:
        bad = bad | ~converted.is_between(0, 2**31 - 1).fill_null(True)
    rows = bad.arg_true().to_list()
    if rows:
        converted = converted.scatter(rows, None)
    return converted.alias(ours), rows, expected


def _cast(text: pl.Series, target: Any) -> pl.Series:
    if text.dtype == target:
        return text
    if target == pl.Boolean and text.dtype == pl.String:
        return text.str.to_lowercase().replace_strict(
            {"true": True, "false": False, "1": True, "0": False}, default=None, return_dtype=pl.Boolean
        )
    if target == pl.Date and text.dtype == pl.String:
        return text.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    if target == pl.Int64 and text.dtype == pl.String:
        number = text.cast(pl.Float64, strict=False)
        whole = number.is_finite().fill_null(False) & (number == number.round(0)) & number.abs().lt(2.0**62)
        return number.zip_with(whole, pl.Series([None] * len(text), dtype=pl.Float64)).cast(pl.Int64)
    if target == pl.String and text.dtype.is_nested():  # a list or struct is no text
        return pl.Series(text.name, [None] * len(text), dtype=pl.String)
    return text.cast(target, strict=False)


def to_contents(frame: pl.DataFrame) -> pl.DataFrame:
    """The inverse of ``read_contents``: our columns → the published table's exact columns, in order.
    ``eval_name`` (when absent), ``Type``, ``T`` and the ``Model`` link are derived; dates become text."""
    missing = [ours for ours in CONTENTS_SCHEMA if ours not in frame.columns and ours != "eval_name"]
    if missing:
        raise FormatError(
            "<dataframe>", missing[0], f"column missing; to_contents needs {', '.join(CONTENTS_SCHEMA)}"
        )
    frame = frame.with_columns(
        (pl.col("eval_name") if "eval_name" in frame.columns else pl.lit(None, dtype=pl.String))
        .fill_null(pl.col("model").str.replace_all("/", "_", literal=True) + "_" + pl.col("precision"))
        .alias("eval_name"),
        pl.col("model_type")
        .replace_strict(CONTENTS_TYPE_LABELS, default=None, return_dtype=pl.String)
        .alias("Type"),
        pl.col("model_type")
        .replace_strict(CONTENTS_TYPE_LABELS, default=None, return_dtype=pl.String)
        .str.split(" ")
        .list.first()
        .alias("T"),
        pl.col("model").map_elements(_model_link, return_dtype=pl.String).alias("Model"),
        *(pl.col(ours).dt.strftime("%Y-%m-%d") for ours in _DATE_COLUMNS),
    )
    return frame.select(
        pl.col(real if ours is None else "Type" if ours == "model_type" else ours).alias(real)
        for real, ours in CONTENTS_COLUMNS.items()
    )


def _model_link(model: str) -> str:
    details = model.replace("/", "__")
    return (
        f'<a target="_blank" href="https://huggingface.co/{model}" style="{_LINK_STYLE}">{model}</a>'
        f'  <a target="_blank" href="https://huggingface.co/datasets/open-llm-leaderboard/{details}-details"'
        f' style="{_LINK_STYLE}">📑</a>'
    )
