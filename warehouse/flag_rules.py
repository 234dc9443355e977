"""What a flag on a model may say, and opening one inside a writer session the caller holds.

Below the writer: the writer opens the automatic "possible unattributed copy" flag with ``open_flag_once``
while it applies a request record, and ``warehouse.flags`` (the users' actions, each in its own writer
session) opens the others with ``open_flag``. Both go through the writer's public flag methods.
"""

from __future__ import annotations

from typing import Protocol

KINDS = ("contamination", "unattributed-copy", "wrong-category", "other")
DECISIONS = ("confirmed", "dismissed")  # a maintainer's: confirmed hides the model, dismissed clears the badge
MAX_TEXT = 4000
FLAGS_PER_DAY = 5  # flags one sender may open in 24 hours
COMMENTS_PER_HOUR = 20  # comments one sender may write in an hour


class FlagError(ValueError):
    def __init__(self, field: str, message: str):
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


class FlagWriter(Protocol):
    """The writer's methods a flag needs (``warehouse.writer.Writer``)."""

    def model_exists(self, model: str) -> bool: ...

    def has_open_flag(self, model: str, kind: str, author: str) -> bool: ...

    def insert_flag(self, model: str, kind: str, reason: str, author: str) -> str: ...

    def flags_since(self, author: str, hours: float) -> int: ...


def checked_text(field: str, value: str | None) -> str:
    """The text stripped; a FlagError when it is empty or longer than MAX_TEXT."""
    value = (value or "").strip()
    if not value:
        raise FlagError(field, "must not be empty")
    if len(value) > MAX_TEXT:
        raise FlagError(field, f"at most {MAX_TEXT} characters")
    return value


def open_flag(w: FlagWriter, model: str, kind: str, reason: str, author: str = "anonymous") -> str:
    """``flags.flag_model`` inside a writer session the caller holds; returns the flag's id."""
    if kind not in KINDS:
        raise FlagError("kind", f"{kind!r}: accepted values are {', '.join(KINDS)}")
    reason, author = checked_text("reason", reason), checked_text("author", author or "anonymous")
    if not w.model_exists(model):
        raise FlagError("model", f"no model {model!r} in the warehouse")
    return w.insert_flag(model, kind, reason, author)


def check_flag_rate(w: FlagWriter, author: str) -> None:
    """A sender opens at most FLAGS_PER_DAY flags in 24 hours (the writer's own flags are not counted here)."""
    if w.flags_since(author, 24) >= FLAGS_PER_DAY:
        raise FlagError("author", f"{author} opened {FLAGS_PER_DAY} flags in the last 24 hours, the most one sender "
                                  "may; comment on an open flag, or try again tomorrow")


def check_comment_rate(w, author: str) -> None:
    """A sender writes at most COMMENTS_PER_HOUR comments an hour (maintainers' decisions are not counted)."""
    if w.comments_since(author, 1) >= COMMENTS_PER_HOUR:
        raise FlagError("author", f"{author} wrote {COMMENTS_PER_HOUR} comments in the last hour, the most one "
                                  "sender may; try again later")


def open_flag_once(w: FlagWriter, model: str, kind: str, reason: str, author: str) -> str | None:
    """``open_flag`` unless the model already has an open flag of this kind by this author (None then)."""
    if w.has_open_flag(model, kind, author):
        return None
    return open_flag(w, model, kind, reason, author)
