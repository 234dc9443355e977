"""The leaderboard's published ``contents`` table (CSV or Parquet): read into our snake_case columns
(CONTENTS_SCHEMA), and written back with the published table's exact columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from core.benchmarks import LEADERBOARD_V2
from warehouse.formats.common import FormatError
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


def read_contents(path: str | Path) -> pl.DataFrame:
    """Read the leaderboard's ``contents`` table (``.csv`` or ``.parquet``) into our snake_case columns
    (see CONTENTS_SCHEMA). ``model`` comes from ``fullname``; the ``Model`` HTML link is never read."""
    path = Path(path)
    source = str(path)
    frame = _read_table(path, source)
    frame = frame.rename({old: new for old, new in _CONTENTS_ALIASES.items() if old in frame.columns})
    missing = [name for name in _REQUIRED_CONTENTS if name not in frame.columns]
    if missing:
        raise FormatError(
            source, missing[0], f"column missing; a contents table needs {', '.join(_REQUIRED_CONTENTS)}"
        )
    columns = []
    for real, ours in CONTENTS_COLUMNS.items():
        if ours is None:
            continue
        if real in frame.columns:
            columns.append(_convert(frame, real, ours, source))
        else:
            columns.append(pl.Series(ours, [None] * frame.height, dtype=CONTENTS_SCHEMA[ours]))
    result = pl.DataFrame(columns)
    return result.with_columns(
        pl.col("model_type").map_elements(normalize_model_type, return_dtype=pl.String),
        pl.col("precision").map_elements(normalize_precision, return_dtype=pl.String),
    )


def _read_table(path: Path, source: str) -> pl.DataFrame:
    """The file as it is: a CSV all text, a Parquet file with its own types."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pl.read_csv(path, infer_schema_length=0)
        if suffix in (".parquet", ".pq"):
            return pl.read_parquet(path)
        raise FormatError(source, "(file)", "unknown extension; expected a .csv or .parquet contents table")
    except (pl.exceptions.ComputeError, OSError) as error:
        raise FormatError(source, "(file)", f"cannot be read as {suffix[1:]} ({error})") from None


def _convert(frame: pl.DataFrame, real: str, ours: str, path: str) -> pl.Series:
    """One published column → our column's type; empty text ("", "nan", "None"...) becomes null, and a
    value that does not convert raises FormatError naming the column."""
    column = frame[real]
    target = CONTENTS_SCHEMA[ours]
    if column.dtype == pl.Null:
        return pl.Series(ours, [None] * frame.height, dtype=target)
    if column.dtype == target:
        return column.alias(ours)
    if column.dtype == pl.String:
        stripped = column.str.strip_chars()
        empty = stripped.is_in(["", "nan", "NaN", "None", "null"])
        text = stripped.zip_with(~empty, pl.Series([None] * frame.height, dtype=pl.String)).alias(ours)
    else:
        text = column.alias(ours)
    if target == pl.Boolean and text.dtype == pl.String:
        lowered = text.str.to_lowercase()
        converted = lowered.replace_strict(
            {"true": True, "false": False, "1": True, "0": False}, default=None, return_dtype=pl.Boolean
        )
    elif target == pl.Date and text.dtype == pl.String:
        converted = text.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    elif target == pl.Date:
        converted = text.cast(pl.Date, strict=False)
    elif target == pl.Int64 and text.dtype == pl.String:
        converted = text.cast(pl.Float64, strict=False).cast(pl.Int64, strict=False)
    else:
        converted = text.cast(target, strict=False)
    bad = text.is_not_null() & converted.is_null()
    if bad.any():
        example = text.filter(bad)[0]
        kind = {
            pl.Float64: "a number",
            pl.Int64: "an integer",
            pl.Boolean: "True or False",
            pl.Date: "a date YYYY-MM-DD",
        }.get(target, "text")
        raise FormatError(path, real, f"expected {kind} or empty, got {example!r}")
    return converted.alias(ours)


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
