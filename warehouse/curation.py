"""What maintainers change in the warehouse, as SQL on the writer's connection (inside its transaction):
removals, renames, flag decisions and the audit log. The Writer's public methods call these;
``warehouse.maintenance`` holds the sessions, the checks and the token.

The rules, each in one place:
- a removal hides the runs it lists (``removed_runs`` of a removal not restored, ``HIDDEN_RUNS``); the
  leaderboard tables are derived without them, so rankings, search and exports all leave them out;
- a rename moves every row naming the old model to the new name, and ``model_renames`` maps every earlier
  name straight to the current one (a chain of renames ends at one name); the leaderboard tables carry the
  earlier names (``renamed_from``) and search them.
"""

from __future__ import annotations

import json
import uuid
from typing import NamedTuple

import duckdb

HIDDEN_RUNS = ("SELECT run_id FROM removed_runs JOIN model_removals USING (removal_id) "
               "WHERE model_removals.restored_at IS NULL")
"""The runs no ranking, search or export shows (a removal holds them)."""

# every table naming a model by its id (the leaderboard tables are rebuilt from these)
_MODEL_COLUMNS = (("models", "model_id"), ("requests", "model_id"), ("runs", "model_id"), ("flags", "model_id"),
                  ("model_removals", "model_id"), ("models", "base_model"), ("requests", "base_model"))


class Action(NamedTuple):
    """One entry of the audit log (``maintainer_actions``)."""

    actor: str
    action: str  # remove, restore, rename, relaunch, confirm-flag, dismiss-flag
    target: str
    reason: str | None
    details: dict


class Removal(NamedTuple):
    """What a removal hides: a model's runs, optionally of one revision (a sha or its prefix) and precision."""

    model_id: str
    sha: str | None
    precision: str | None
    reason: str
    removed_by: str


def record_action(con: duckdb.DuckDBPyConnection, action: Action) -> str:
    action_id = uuid.uuid4().hex[:16]
    con.execute("INSERT INTO maintainer_actions VALUES (?, now(), ?, ?, ?, ?, ?)",
                [action_id, action.actor, action.action, action.target, action.reason,
                 json.dumps(action.details, default=str)])
    return action_id


def remove_entries(con: duckdb.DuckDBPyConnection, removal: Removal) -> tuple[str, list[str]]:
    """Hide the matching runs not hidden yet; (the removal's id, the run ids). Nothing matching: no removal."""
    runs = [r[0] for r in con.execute(
        f"SELECT run_id FROM runs WHERE model_id = ? AND (?::VARCHAR IS NULL OR starts_with(sha, ?)) "
        f"AND (?::VARCHAR IS NULL OR precision = ?) AND run_id NOT IN ({HIDDEN_RUNS}) ORDER BY run_id",
        [removal.model_id, removal.sha, removal.sha, removal.precision, removal.precision]).fetchall()]
    if not runs:
        return "", []
    removal_id = uuid.uuid4().hex[:16]
    con.execute("INSERT INTO model_removals (removal_id, model_id, sha, precision, reason, removed_by, removed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, now())", [removal_id, *removal])
    con.execute("INSERT INTO removed_runs SELECT ?, unnest(?)", [removal_id, runs])
    return removal_id, runs


def restore_entries(con: duckdb.DuckDBPyConnection, model: str, sha: str | None, precision: str | None,
                    by: str) -> list[str]:
    """Lift the model's removals that hold (those of this revision / precision, when given); their ids."""
    rows = con.execute("UPDATE model_removals SET restored_by = ?, restored_at = now() "
                       "WHERE model_id = ? AND restored_at IS NULL AND (?::VARCHAR IS NULL OR starts_with(sha, ?)) "
                       "AND (?::VARCHAR IS NULL OR precision = ?) RETURNING removal_id",
                       [by, model, sha, sha, precision, precision]).fetchall()
    return sorted(r[0] for r in rows)


def rename_model(con: duckdb.DuckDBPyConnection, old: str, new: str, reason: str, by: str) -> None:
    """Move every row naming ``old`` to ``new`` (the caller checked that ``new`` is no model yet) and point
    every earlier name at ``new``."""
    for table, column in _MODEL_COLUMNS:
        con.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", [new, old])
    if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'runs_wide' "
                   "AND database_name = current_database()").fetchall()[0][0]:
        con.execute("UPDATE runs_wide SET model_id = ? WHERE model_id = ?", [new, old])
    con.execute("DELETE FROM model_renames WHERE old_id = ?", [new])  # renamed back onto an earlier name
    con.execute("UPDATE model_renames SET new_id = ? WHERE new_id = ?", [new, old])
    con.execute("INSERT INTO model_renames (old_id, new_id, renamed_at, reason, renamed_by) VALUES (?, ?, now(), ?, ?)",
                [old, new, reason, by])


def renames(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every earlier name -> the model's current name."""
    return dict(con.execute("SELECT old_id, new_id FROM model_renames").fetchall())


def decide_flag(con: duckdb.DuckDBPyConnection, flag_id: str, status: str, by: str, reason: str) -> str:
    """Record a maintainer's decision on a flag; returns the flag's model."""
    return con.execute("UPDATE flags SET status = ?, closed_by = ?, closed_at = now(), close_reason = ? "
                       "WHERE flag_id = ? RETURNING model_id", [status, by, reason, flag_id]).fetchall()[0][0]


def comments_since(con: duckdb.DuckDBPyConnection, author: str, hours: float) -> int:
    """How many flag comments this author wrote in the last ``hours``."""
    return con.execute("SELECT count(*) FROM flag_comments WHERE author = ? AND created_at >= now() - to_microseconds(?)",
                       [author, int(hours * 3_600_000_000)]).fetchall()[0][0]


def flags_since(con: duckdb.DuckDBPyConnection, author: str, hours: float) -> int:
    """How many flags this author opened in the last ``hours``."""
    return con.execute("SELECT count(*) FROM flags WHERE author = ? AND created_at >= now() - to_microseconds(?)",
                       [author, int(hours * 3_600_000_000)]).fetchall()[0][0]
