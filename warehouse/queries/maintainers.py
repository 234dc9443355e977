"""What maintainers did and what it left: the audit log, the removals (with their reasons), the renames."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import polars as pl

from warehouse.curation import HIDDEN_RUNS
from warehouse.queries.snapshot import frame


class Rename(NamedTuple):
    old: str
    new: str  # the model's current name
    renamed_at: object
    reason: str | None


def audit_log(home: Path, limit: int | None = None) -> pl.DataFrame:
    """Every maintainer action, newest first: when, who, what, on what, why, and what it changed (JSON)."""
    sql = ("SELECT acted_at, actor, action, target, reason, details, action_id FROM maintainer_actions "
           "ORDER BY acted_at DESC, action_id")
    return frame(home, sql + (f" LIMIT {int(limit)}" if limit else ""))


def removals(home: Path, *, holding_only: bool = True) -> pl.DataFrame:
    """The removals (those still holding, or all), newest first, with their reason and how many runs they hide."""
    where = "WHERE m.restored_at IS NULL" if holding_only else ""
    return frame(home, f"""
        SELECT m.model_id, m.sha, m.precision, m.reason, m.removed_by, m.removed_at, m.restored_by, m.restored_at,
               count(r.run_id) AS runs, m.removal_id
        FROM model_removals m LEFT JOIN removed_runs r USING (removal_id) {where}
        GROUP BY ALL ORDER BY m.removed_at DESC, m.removal_id""")


def renamed(home: Path, model: str) -> Rename | None:
    """Where an earlier model name leads now; None for a name never renamed."""
    df = frame(home, "SELECT old_id, new_id, renamed_at, reason FROM model_renames WHERE old_id = ?", [model])
    return Rename(*df.row(0)) if df.height else None


def removed_request_ids(home: Path, model: str) -> set[str]:
    """The model's requests whose runs a removal hides: submitting the same again is welcome."""
    df = frame(home, f"SELECT request_id FROM runs WHERE model_id = ? AND request_id IS NOT NULL "
                     f"GROUP BY request_id HAVING bool_and(run_id IN ({HIDDEN_RUNS}))", [model])
    return set(df["request_id"]) if df.height else set()
