"""Flags on models, as users raise them: open one (contamination, an unattributed copy or merge, a wrong
category, other), discuss it, and let a maintainer (the admin token) resolve or dismiss it.

Each action is one writer session; the rules (kinds, text limits, ``open_flag`` inside a session the
caller holds) live in ``warehouse.flag_rules``. An open flag hides the model from the default
leaderboard view once the writer has rebuilt the leaderboard tables at the end of the session.
"""

from __future__ import annotations

from pathlib import Path

from core.settings import is_maintainer
from warehouse.flag_rules import CLOSED, KINDS, FlagError, checked_text, open_flag
from warehouse.writer import Writer

__all__ = ["CLOSED", "KINDS", "FlagError", "close", "comment", "flag_model", "open_flag"]


def flag_model(home: Path, model: str, kind: str, reason: str, author: str = "anonymous") -> str:
    """Open a flag on a model; returns its id."""
    with Writer(home, wait_message=None) as w:
        return open_flag(w, model, kind, reason, author)


def comment(home: Path, flag_id: str, body: str, author: str = "anonymous") -> None:
    body, author = checked_text("comment", body), checked_text("author", author or "anonymous")
    with Writer(home, wait_message=None) as w:
        if w.flag_state(flag_id) is None:
            raise FlagError("flag", f"no flag {flag_id!r}")
        w.add_flag_comment(flag_id, author, body)


def close(home: Path, flag_id: str, status: str, *, token: str, admin_token: str, by: str = "maintainer") -> None:
    """Resolve or dismiss a flag; only with the maintainers' admin token (none configured: nobody can)."""
    if status not in CLOSED:
        raise FlagError("status", f"{status!r}: accepted values are {', '.join(CLOSED)}")
    if not admin_token:
        raise FlagError("token", "maintainer actions are disabled (LLMBOARD_ADMIN_TOKEN is not set)")
    if not is_maintainer(admin_token, token):
        raise FlagError("token", "wrong admin token")
    with Writer(home, wait_message=None) as w:
        state = w.flag_state(flag_id)
        if state is None:
            raise FlagError("flag", f"no flag {flag_id!r}")
        if state[0] != "open":
            raise FlagError("flag", f"flag {flag_id} is already {state[0]}")
        w.close_flag(flag_id, status, by)
