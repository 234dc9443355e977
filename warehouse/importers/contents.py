"""The leaderboard's published `contents` table (CSV or Parquet): one run per row, carrying its benchmark
columns; the whole file is one transaction, and runs already in the warehouse are skipped."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl

from warehouse.formats import BENCHMARK_COLUMNS, FormatError, read_contents
from warehouse.importers.source_files import ImportReport, Progress, content_sha
from warehouse.rows import (
    BenchmarkScoreRow,
    ImportedFlagRow,
    IngestedFileRow,
    Load,
    ModelRow,
    RunRow,
    timestamp,
)
from warehouse.writer import Writer


def contents_run_id(row: dict) -> str:
    key = json.dumps({k: row.get(k) for k in ("model", "sha", "precision", "average", "submission_date")},
                     default=str)
    return "contents-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def contents_load(writer: Writer, frame: pl.DataFrame, *, source_file: str) -> Load:
    """The rows of one contents file (runs already in the warehouse are skipped), as one ``Load``."""
    rows = [row for row in frame.iter_rows(named=True) if row.get("model")]
    ids = [contents_run_id(row) for row in rows]
    known = writer.known_run_ids(ids)
    load = Load(source_file)
    for row, run_id in zip(rows, ids, strict=True):
        if run_id in known:
            continue
        known.add(run_id)
        model = row["model"]
        load.models.append(ModelRow(
            model_id=model, license=row.get("license"), params_b=row.get("params_b"),
            architecture=row.get("architecture"), model_type=row.get("model_type"),
            weight_type=row.get("weight_type"), base_model=row.get("base_model"), merged=row.get("merged"),
            moe=row.get("moe"), available_on_hub=row.get("available_on_hub"), hub_hearts=row.get("hub_hearts"),
            source="hub"))
        if row.get("flagged"):
            load.flags.append(ImportedFlagRow("import-" + run_id, model))
        load.runs.append(RunRow(
            run_id=run_id, request_id=None, model_id=model, sha=row.get("sha"), precision=row.get("precision"),
            weight_type=row.get("weight_type"), model_type=row.get("model_type"),
            use_chat_template=row.get("chat_template"), suite="leaderboard", lm_eval_version=None,
            transformers_version=None, task_hashes=None, started_at=None,
            finished_at=timestamp(row.get("submission_date")), duration_s=None, device=None, dtype=None,
            params_b=row.get("params_b"), co2_kg=row.get("co2_kg"), average=row.get("average"), origin="contents",
            source_file=source_file, bundle_path=None, samples_file=None, raw_file=None,
            raw=json.dumps(row, default=str)))
        load.benchmark_scores.extend(BenchmarkScoreRow(run_id, key, _raw(row.get(f"{key}_raw")), row.get(key), None)
                                     for key in BENCHMARK_COLUMNS)
    return load


def _raw(value):
    """The contents table's Raw columns are 0..1 (as ours)."""
    return None if value is None else float(value)


def import_contents(writer: Writer, path: Path, progress: Progress = None) -> ImportReport:
    """Load one contents file through the writer: the whole file in one transaction."""
    report = ImportReport()
    data = Path(path).read_bytes()
    sha = content_sha(data)
    if writer.seen(sha):
        report.unchanged.append(str(path))
        return report
    try:
        frame = read_contents(Path(path))
        load = contents_load(writer, frame, source_file=str(path))
    except (FormatError, OSError, ValueError, TypeError) as exc:
        report.errors.append(f"{path}: {exc}")
        return report
    load.seen.append(IngestedFileRow(sha, "contents", str(path)))
    failed = writer.commit_loads([load], isolate_failures=True)
    report.errors.extend(failed.values())
    if not failed:
        report.loaded.append(str(path))
    if progress:
        progress(len(load.runs))
    return report
