"""Our workers' result bundles: a folder with ``results.json``, ``run.json``, ``request.json`` and the
per-sample ``samples_*.jsonl`` files, loaded as one run (the samples go to a Parquet file of their own)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from core.suites import SUITES
from warehouse.formats import loads, parse_results
from warehouse.importers.scored_runs import RunFacts, run_rows
from warehouse.importers.source_files import content_sha, keep_raw
from warehouse.intervals import sample_intervals
from warehouse.rows import IngestedFileRow, Load
from warehouse.samples import write_samples_parquet
from warehouse.writer import Writer


def ingest_bundle(writer: Writer, bundle: Path) -> bool:
    """Load one of our workers' result bundles; False when it was loaded before."""
    bundle = Path(bundle)
    results_bytes = (bundle / "results.json").read_bytes()
    sha = content_sha(results_bytes)
    run_id = sha[:32]
    if writer.seen(run_id):
        return False
    run = json.loads((bundle / "run.json").read_text())
    request = json.loads((bundle / "request.json").read_text())
    parsed = parse_results(loads(results_bytes), source_file=str(bundle / "results.json"))
    samples = sorted(bundle.glob("samples_*.jsonl"))
    samples_file = None
    if samples:  # per-sample details: one Parquet file per run, read through the `samples` view
        writer.samples_dir.mkdir(parents=True, exist_ok=True)
        samples_file = str(write_samples_parquet(run_id, samples, writer.samples_dir))
    load = Load(str(bundle), seen=[IngestedFileRow(run_id, "bundle", str(bundle))])
    run_rows(parsed, load, run_id=run_id, origin="worker", source_file=str(bundle / "results.json"),
             raw_file=keep_raw(writer.home, sha, results_bytes), facts=RunFacts(
                 request_id=request["request_id"], model_id=writer.current_name(request["model"]), sha=request["sha"],
                 precision=request["precision"], weight_type=request["weight_type"],
                 model_type=request["model_type"], use_chat_template=request["use_chat_template"],
                 params_b=request.get("params"), license=request.get("license") or None,
                 base_model=request.get("base_model"), source=request.get("source"),
                 architecture=request.get("architectures") or None,
                 started_at=run.get("started_at"), finished_at=run.get("finished_at"),
                 duration_s=run.get("duration_s"), device=run.get("device"), dtype=run.get("dtype"),
                 bundle_path=str(bundle), samples_file=samples_file,
             ))
    if samples_file is not None and parsed.suite in SUITES:  # the run's uncertainty, computed once
        load.intervals = sample_intervals(run_id, pl.read_parquet(samples_file), SUITES[parsed.suite])
    writer.commit_loads([load])
    return True
