"""The writer's part for moderation: flags and maintainers' actions (their SQL and rules live in
``warehouse.curation``). A mixin of ``warehouse.writer.Writer``, which holds the connection: nothing here
opens one."""

from __future__ import annotations

import uuid

import duckdb

from warehouse import curation


class Moderation:
    con: duckdb.DuckDBPyConnection
    changed: bool
    _rebuild_all: bool
    _renames: dict[str, str] | None

    def _touch_model(self, model: str) -> None:  # the Writer's: the model's leaderboard rows are stale
        raise NotImplementedError

    # -- flags -----------------------------------------------------------------------------------
    def has_open_flag(self, model: str, kind: str, author: str) -> bool:
        return self.con.execute("SELECT 1 FROM flags WHERE model_id = ? AND kind = ? AND author = ? AND status = 'open'",
                                [model, kind, author]).fetchone() is not None

    def insert_flag(self, model: str, kind: str, reason: str, author: str) -> str:
        """Open a flag (checked by ``flag_rules.open_flag``); returns its id."""
        flag_id = uuid.uuid4().hex[:16]
        self.con.execute("INSERT INTO flags VALUES (?, ?, ?, ?, ?, now(), 'open', NULL, NULL, NULL)",
                         [flag_id, model, kind, reason, author])
        self._touch_model(model)
        return flag_id

    def flag_state(self, flag_id: str) -> tuple[str, str] | None:
        """(status, model) of a flag; None when there is no such flag."""
        return self.con.execute("SELECT status, model_id FROM flags WHERE flag_id = ?", [flag_id]).fetchone()

    def add_flag_comment(self, flag_id: str, author: str, body: str) -> None:
        self.con.execute("INSERT INTO flag_comments SELECT ?, coalesce(max(seq) + 1, 0), ?, ?, now() "
                         "FROM flag_comments WHERE flag_id = ?", [flag_id, author, body, flag_id])
        self.changed = True

    def close_flag(self, flag_id: str, status: str, by: str, reason: str) -> None:
        """A maintainer's decision (confirmed, dismissed), with its reason also kept in the flag's thread."""
        model = curation.decide_flag(self.con, flag_id, status, by, reason)
        self.add_flag_comment(flag_id, by, f"{status}: {reason}")
        self._touch_model(model)

    def flags_since(self, author: str, hours: float) -> int:
        return curation.flags_since(self.con, author, hours)

    def comments_since(self, author: str, hours: float) -> int:
        return curation.comments_since(self.con, author, hours)

    # -- maintainers' actions (their SQL and rules: warehouse.curation) ---------------------------
    def record_action(self, action: curation.Action) -> str:
        """Add an entry to the audit log."""
        self.changed = True
        return curation.record_action(self.con, action)

    def remove_entries(self, removal: curation.Removal) -> tuple[str, list[str]]:
        """Hide the matching runs from every ranking, search and export: (removal id, run ids)."""
        found = curation.remove_entries(self.con, removal)
        self._touch_model(removal.model_id)
        return found

    def restore_entries(self, model: str, sha: str | None, precision: str | None, by: str) -> list[str]:
        restored = curation.restore_entries(self.con, model, sha, precision, by)
        self._touch_model(model)
        return restored

    def rename_model(self, old: str, new: str, reason: str, by: str) -> None:
        """Move the model's requests, runs, flags and removals to ``new`` (checked to be no model yet)."""
        curation.rename_model(self.con, old, new, reason, by)
        self._renames = None
        self.changed = self._rebuild_all = True  # runs and runs_wide rows changed in place: rebuild them all

    def current_name(self, model: str) -> str:
        """The model's name now (an earlier name leads to the current one)."""
        if self._renames is None:
            self._renames = curation.renames(self.con)
        return self._renames.get(model, model)

    def _follow_rename(self, record: dict) -> dict:
        new = self.current_name(record["model"])
        return record if new == record["model"] else {**record, "model": new}
