"""The leaderboard's published `contents` table: one run per row, carrying its benchmark columns."""

from __future__ import annotations

import hashlib
import json

import polars as pl

from warehouse.formats import BENCHMARK_COLUMNS


def load_contents(writer, frame: pl.DataFrame, *, source_file: str, progress=None) -> int:
    con = writer.con
    loaded = 0
    for row in frame.iter_rows(named=True):
        model = row.get("model")
        if not model:
            continue
        key = json.dumps({k: row.get(k) for k in ("model", "sha", "precision", "average", "submission_date")},
                         default=str)
        run_id = "contents-" + hashlib.sha256(key.encode()).hexdigest()[:24]
        if con.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone():
            continue
        writer.upsert_model(
            model, license=row.get("license"), params_b=row.get("params_b"), architecture=row.get("architecture"),
            model_type=row.get("model_type"), weight_type=row.get("weight_type"),
            base_model=row.get("base_model"), merged=row.get("merged"), moe=row.get("moe"),
            available_on_hub=row.get("available_on_hub"), hub_hearts=row.get("hub_hearts"), source="hub",
        )
        if row.get("flagged"):
            con.execute(
                "INSERT OR IGNORE INTO flags VALUES (?, ?, 'other', 'flagged on the Open LLM Leaderboard', "
                "'import', now(), 'open', NULL, NULL)", ["import-" + run_id, model])
        con.execute(
            "INSERT INTO runs (run_id, model_id, sha, precision, weight_type, model_type, use_chat_template, suite,"
            " finished_at, params_b, co2_kg, average, origin, source_file, raw, ingested_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'leaderboard', ?, ?, ?, ?, 'contents', ?, ?, now())",
            [run_id, model, row.get("sha"), row.get("precision"), row.get("weight_type"), row.get("model_type"),
             row.get("chat_template"), row.get("submission_date"), row.get("params_b"), row.get("co2_kg"),
             row.get("average"), source_file, json.dumps(row, default=str)],
        )
        con.executemany(
            "INSERT INTO benchmark_scores VALUES (?, ?, ?, ?, NULL)",
            [(run_id, key, _raw(row.get(f"{key}_raw")), row.get(key)) for key in BENCHMARK_COLUMNS],
        )
        loaded += 1
        if progress:
            progress(1)
    return loaded


def _raw(value):
    """The contents table's Raw columns are 0..1 (as ours)."""
    return None if value is None else float(value)
