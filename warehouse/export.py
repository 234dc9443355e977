"""Export in the leaderboard's published `contents` schema, so tools that read its dataset read ours."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from warehouse.formats import BENCHMARK_COLUMNS, CONTENTS_SCHEMA, to_contents
from warehouse.queries import rankings

SUFFIXES = (".csv", ".parquet", ".json")


def contents_frame(home: Path, suite: str = "leaderboard") -> pl.DataFrame:
    board = rankings(home, suite=suite, show_flagged=True)
    if board.height == 0:
        return pl.DataFrame()
    scores = [pl.col(k).alias(k) for k in BENCHMARK_COLUMNS] + [pl.col(f"{k}_raw") for k in BENCHMARK_COLUMNS]
    frame = board.select(
        pl.col("model_id").alias("model"), "precision", "model_type", "weight_type", "architecture", "sha",
        "average", "license", "hub_hearts", "params_b", "available_on_hub", "moe", "flagged",
        pl.col("use_chat_template").alias("chat_template"), "co2_kg", *scores, "merged",
        pl.lit(False).alias("official"), pl.lit(None, dtype=pl.Date).alias("upload_date"),
        pl.col("finished_at").cast(pl.Date).alias("submission_date"), pl.lit(0).alias("generation"),
        "base_model",
    )
    return frame.with_columns(pl.col(c).cast(t) for c, t in CONTENTS_SCHEMA.items() if c in frame.columns)


def export_contents(home: Path, out: Path, suite: str = "leaderboard") -> int:
    out = Path(out)
    if out.suffix not in SUFFIXES:
        raise ValueError(f"OUT: {out.name} must end in one of {', '.join(SUFFIXES)}")
    frame = contents_frame(home, suite)
    if frame.height == 0:
        raise ValueError(f"nothing to export: the warehouse has no {suite!r} entries yet")
    table = to_contents(frame)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".csv":
        table.write_csv(out)
    elif out.suffix == ".parquet":
        table.write_parquet(out)
    else:
        out.write_text(json.dumps(table.to_dicts(), default=str, indent=1, ensure_ascii=False))
    return table.height
