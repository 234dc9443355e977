"""Flags on models, as users raise them: open one (contamination, an unattributed copy or merge, a wrong
category, other), discuss it, and let a maintainer (the admin token) confirm or dismiss it with a reason.

An open flag marks the model with a badge linking to its thread; only a maintainer's confirmation hides
the model from the default leaderboard view ('Show flagged' brings it back); a dismissal clears the badge.
A flag is kept on the model through renames. Each action is one writer session; the rules (kinds, text
limits, the rate per sender, ``open_flag`` inside a session the caller holds) live in
``warehouse.flag_rules``, the decision and its audit entry here.
"""

from __future__ import annotations

from pathlib import Path

from warehouse.curation import Action
from warehouse.flag_rules import (
    COMMENTS_PER_HOUR,
    DECISIONS,
    FLAGS_PER_DAY,
    KINDS,
    FlagError,
    check_comment_rate,
    check_flag_rate,
    checked_text,
    open_flag,
)
from warehouse.maintenance import NotAllowed, actor, check_token
from warehouse.writer import Writer

__all__ = ["COMMENTS_PER_HOUR", "DECISIONS", "FLAGS_PER_DAY", "KINDS", "FlagError", "NotAllowed", "close", "comment", "flag_model",
           "open_flag"]

AUDITED_AS = {"confirmed": "confirm-flag", "dismissed": "dismiss-flag"}


def flag_model(home: Path, model: str, kind: str, reason: str, author: str = "anonymous") -> str:
    """Open a flag on a model (its current name, for an earlier one); returns its id."""
    author = checked_text("author", author or "anonymous")
    with Writer(home, wait_message=None) as w:
        check_flag_rate(w, author)
        return open_flag(w, w.current_name(model), kind, reason, author)


def comment(home: Path, flag_id: str, body: str, author: str = "anonymous") -> None:
    body, author = checked_text("comment", body), checked_text("author", author or "anonymous")
    with Writer(home, wait_message=None) as w:
        if w.flag_state(flag_id) is None:
            raise FlagError("flag", f"no flag {flag_id!r}")
        check_comment_rate(w, author)
        w.add_flag_comment(flag_id, author, body)


def close(home: Path, flag_id: str, status: str, *, reason: str, token: str | None, admin_token: str | None,
          by: str | None = None) -> None:
    """Confirm (the model is hidden) or dismiss (the badge goes) a flag, with the reason; maintainers only.
    A decision can be changed later (a confirmed flag dismissed, say); the thread keeps each one."""
    check_token(admin_token, token)
    if status not in DECISIONS:
        raise FlagError("status", f"{status!r}: accepted values are {', '.join(DECISIONS)}")
    reason, who = checked_text("reason", reason), actor(by)
    with Writer(home, wait_message=None) as w, w.transaction():
        state = w.flag_state(flag_id)
        if state is None:
            raise FlagError("flag", f"no flag {flag_id!r}")
        if state[0] == status:
            raise FlagError("flag", f"flag {flag_id} is already {status}")
        w.close_flag(flag_id, status, who, reason)
        w.record_action(Action(who, AUDITED_AS[status], state[1], reason, {"flag_id": flag_id, "was": state[0]}))
