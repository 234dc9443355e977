"""Every query the dashboard and the CLI need, all read through the versioned read snapshot.

One module per concept: ``suites`` (which suites, their benchmark columns), ``rankings`` (the
leaderboard's rows and its filters' facets), ``history`` (one model and precision over commits),
``precisions`` (the latest run of each precision, compared), ``models`` (one model's metadata, runs,
requests and flags), ``samples`` (per-sample details), ``quarantine`` (what imports set aside).
``snapshot`` is the door they all read through.
Callers use ``warehouse.queries.<name>``; the names below are the public ones.
"""

from __future__ import annotations

from warehouse.queries.compare import CompareError, compare_runs
from warehouse.queries.history import commit_steps, run_history, sha_history
from warehouse.queries.maintainers import Rename, audit_log, removals, removed_request_ids, renamed
from warehouse.queries.models import (
    model_choices,
    model_flags,
    model_info,
    model_requests,
    model_runs,
    request_history,
    run_benchmarks,
    run_task_scores,
)
from warehouse.queries.precisions import (
    PrecisionRun,
    by_reference_order,
    latest_runs,
    precision_memory,
    precision_scores,
    quantization_comparison,
)
from warehouse.queries.quarantine import quarantine_by_file, quarantined_rows
from warehouse.queries.rankings import (
    add_rank_ranges,
    hold_rankings_in_memory,
    leaderboard_facets,
    rankings,
    rankings_columns,
    rankings_count,
    rankings_page,
    view_rank_bounds,
    warm_rankings,
    with_rank_ranges,
)
from warehouse.queries.samples import run_samples, sample_agreement
from warehouse.queries.snapshot import ingest_version
from warehouse.queries.suites import SUITE_ORDER, available_suites, benchmark_columns, default_suite
from warehouse.search import SearchError

__all__ = [
    "CompareError", "commit_steps", "compare_runs", "run_benchmarks",
    "add_rank_ranges", "hold_rankings_in_memory", "view_rank_bounds", "warm_rankings", "with_rank_ranges",
    "Rename", "audit_log", "removals", "removed_request_ids", "renamed",
    "SUITE_ORDER", "PrecisionRun", "SearchError", "available_suites", "benchmark_columns", "by_reference_order",
    "default_suite", "ingest_version", "latest_runs", "leaderboard_facets", "model_choices", "model_flags",
    "model_info", "model_requests", "model_runs", "precision_memory", "precision_scores",
    "quantization_comparison", "quarantine_by_file", "quarantined_rows", "rankings", "rankings_columns",
    "rankings_count", "rankings_page",
    "request_history", "run_history", "run_samples", "run_task_scores", "sample_agreement", "sha_history",
]
