"""Flags on models: raise one (contamination, an unattributed copy or merge, a wrong category, other),
discuss it, and let a maintainer (the admin token) resolve or dismiss it.

Every write goes through the one writer; an open flag hides the model from the default leaderboard
view once the writer has rebuilt the leaderboard tables (``Writer.changed``).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from core.settings import is_maintainer
from warehouse.ingest import Writer

KINDS = ("contamination", "unattributed-copy", "wrong-category", "other")
CLOSED = ("resolved", "dismissed")
MAX_TEXT = 4000


class FlagError(ValueError):
    def __init__(self, field: str, message: str):
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


def _text(field: str, value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        raise FlagError(field, "must not be empty")
    if len(value) > MAX_TEXT:
        raise FlagError(field, f"at most {MAX_TEXT} characters")
    return value


def _refresh(w: Writer, model: str) -> None:
    """Have the writer rebuild this model's leaderboard rows (its `flagged` column) and publish a snapshot.
    `upsert_model` with no fields changes nothing but marks the model's rows stale."""
    w.upsert_model(model)
    w.changed = True


def flag_model(home: Path, model: str, kind: str, reason: str, author: str = "anonymous") -> str:
    """Open a flag on a model; returns its id."""
    with Writer(home, wait_message=None) as w:
        return open_flag(w, model, kind, reason, author)


def open_flag(w: Writer, model: str, kind: str, reason: str, author: str = "anonymous") -> str:
    """``flag_model`` inside a writer session the caller holds."""
    if kind not in KINDS:
        raise FlagError("kind", f"{kind!r}: accepted values are {', '.join(KINDS)}")
    reason, author = _text("reason", reason), _text("author", author or "anonymous")
    if w.con.execute("SELECT 1 FROM models WHERE model_id = ?", [model]).fetchone() is None:
        raise FlagError("model", f"no model {model!r} in the warehouse")
    flag_id = uuid.uuid4().hex[:16]
    w.con.execute("INSERT INTO flags VALUES (?, ?, ?, ?, ?, now(), 'open', NULL, NULL)",
                  [flag_id, model, kind, reason, author])
    _refresh(w, model)
    return flag_id


def comment(home: Path, flag_id: str, body: str, author: str = "anonymous") -> None:
    body, author = _text("comment", body), _text("author", author or "anonymous")
    with Writer(home, wait_message=None) as w:
        if w.con.execute("SELECT 1 FROM flags WHERE flag_id = ?", [flag_id]).fetchone() is None:
            raise FlagError("flag", f"no flag {flag_id!r}")
        w.con.execute("INSERT INTO flag_comments SELECT ?, coalesce(max(seq) + 1, 0), ?, ?, now() "
                      "FROM flag_comments WHERE flag_id = ?", [flag_id, author, body, flag_id])
        w.changed = True


def close(home: Path, flag_id: str, status: str, *, token: str, admin_token: str, by: str = "maintainer") -> None:
    """Resolve or dismiss a flag; only with the maintainers' admin token (none configured: nobody can)."""
    if status not in CLOSED:
        raise FlagError("status", f"{status!r}: accepted values are {', '.join(CLOSED)}")
    if not admin_token:
        raise FlagError("token", "maintainer actions are disabled (LLMBOARD_ADMIN_TOKEN is not set)")
    if not is_maintainer(admin_token, token):
        raise FlagError("token", "wrong admin token")
    with Writer(home, wait_message=None) as w:
        row = w.con.execute("SELECT status FROM flags WHERE flag_id = ?", [flag_id]).fetchone()
        if row is None:
            raise FlagError("flag", f"no flag {flag_id!r}")
        if row[0] != "open":
            raise FlagError("flag", f"flag {flag_id} is already {row[0]}")
        w.con.execute("UPDATE flags SET status = ?, closed_by = ?, closed_at = now() WHERE flag_id = ?",
                      [status, by, flag_id])
        model = w.con.execute("SELECT model_id FROM flags WHERE flag_id = ?", [flag_id]).fetchone()[0]
        _refresh(w, model)
