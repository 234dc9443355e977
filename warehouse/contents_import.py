"""The leaderboard's published `contents` table: one run per row, carrying its benchmark columns."""

from __future__ import annotations

import hashlib
import json

import polars as pl

from warehouse.formats import BENCHMARK_COLUMNS


def contents_run_id(row: dict) -> str:
    key = json.dumps({k: row.get(k) for k in ("model", "sha", "precision", "average", "submission_date")},
                     default=str)
    return "contents-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def contents_load(writer, frame: pl.DataFrame, *, source_file: str):
    """The rows of one contents file (runs already in the warehouse are skipped), as one ``Load``."""
    from warehouse.ingest import Load, _ts

    rows = [row for row in frame.iter_rows(named=True) if row.get("model")]
    ids = [contents_run_id(row) for row in rows]
    known = set()
    if ids:
        known = {r[0] for r in writer.con.execute(
            "SELECT run_id FROM runs WHERE run_id IN (SELECT unnest(?))", [ids]).fetchall()}
    load = Load(source_file)
    for row, run_id in zip(rows, ids, strict=True):
        if run_id in known:
            continue
        known.add(run_id)
        model = row["model"]
        load.models.append({
            "model_id": model, "license": row.get("license"), "params_b": row.get("params_b"),
            "architecture": row.get("architecture"), "model_type": row.get("model_type"),
            "weight_type": row.get("weight_type"), "base_model": row.get("base_model"), "merged": row.get("merged"),
            "moe": row.get("moe"), "available_on_hub": row.get("available_on_hub"),
            "hub_hearts": row.get("hub_hearts"), "source": "hub",
        })
        if row.get("flagged"):
            load.flags.append(("import-" + run_id, model))
        load.runs.append((
            run_id, None, model, row.get("sha"), row.get("precision"), row.get("weight_type"),
            row.get("model_type"), row.get("chat_template"), "leaderboard", None, None, None, None,
            _ts(row.get("submission_date")), None, None, None, row.get("params_b"), row.get("co2_kg"),
            row.get("average"), "contents", source_file, None, None, None, json.dumps(row, default=str),
        ))
        load.benchmark_scores.extend(
            (run_id, key, _raw(row.get(f"{key}_raw")), row.get(key), None) for key in BENCHMARK_COLUMNS)
    return load


def _raw(value):
    """The contents table's Raw columns are 0..1 (as ours)."""
    return None if value is None else float(value)
