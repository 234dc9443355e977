"""Maintainers' actions on the warehouse, each in one writer session with its audit entry: remove and
restore entries, rename a model, and the audit entries of actions taken elsewhere (a relaunch).

Every action needs the admin token (``check_token``); without it nothing is opened or written. The SQL and
the rules the rankings follow live in ``warehouse.curation``; the flag decisions in ``warehouse.flags``.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from core.settings import is_maintainer
from warehouse.curation import Action, Removal
from warehouse.flag_rules import checked_text
from warehouse.writer import Writer

DEFAULT_ACTOR = "maintainer"


class NotAllowed(PermissionError):
    """A maintainer's action without the admin token."""


class MaintenanceError(ValueError):
    def __init__(self, field: str, message: str):
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


class Removed(NamedTuple):
    removal_id: str
    run_ids: list[str]


def check_token(admin_token: str | None, token: str | None) -> None:
    """Refuse unless ``token`` is the maintainers' admin token (none configured: nobody is a maintainer)."""
    if not admin_token:
        raise NotAllowed("admin_token: maintainer actions are disabled (set LLMBOARD_ADMIN_TOKEN)")
    if not is_maintainer(admin_token, token):
        raise NotAllowed("admin_token: wrong or missing maintainer token (give --token or set LLMBOARD_ADMIN_TOKEN; "
                         "on the dashboard, enter it on the Maintainers page)")


def actor(by: str | None) -> str:
    """The name an action is recorded under: the token holder's, when given."""
    return checked_text("by", by) if by and by.strip() else DEFAULT_ACTOR


def _current(w: Writer, model: str) -> str:
    """The model as named now; an error naming the current name for an earlier one, or for no model."""
    now = w.current_name(model)
    if now != model:
        raise MaintenanceError("model", f"{model} was renamed to {now}: use {now}")
    if not w.model_exists(model):
        raise MaintenanceError("model", f"no model {model!r} in the warehouse")
    return model


def remove(home: Path, model: str, *, reason: str, token: str | None, admin_token: str | None,
           revision: str | None = None, precision: str | None = None, by: str | None = None) -> Removed:
    """Hide the model's entries (of one revision and/or precision, when given) from every ranking, search and
    export; the runs stay stored (``restore``), and the same model, commit and precision may be submitted again."""
    check_token(admin_token, token)
    reason, who = checked_text("reason", reason), actor(by)
    revision, precision = (revision or "").strip() or None, (precision or "").strip() or None
    with Writer(home, wait_message=None) as w, w.transaction():
        _current(w, model)
        removal_id, runs = w.remove_entries(Removal(model, revision, precision, reason, who))
        if not runs:
            what = " ".join(x for x in (model, revision and f"at {revision}", precision and f"in {precision}") if x)
            raise MaintenanceError("model", f"{what}: no ranked entry to remove (already removed? see `llmboard "
                                            "audit`)")
        w.record_action(Action(who, "remove", model, reason, {"removal_id": removal_id, "revision": revision,
                                                               "precision": precision, "run_ids": runs}))
    return Removed(removal_id, runs)


def restore(home: Path, model: str, *, reason: str, token: str | None, admin_token: str | None,
            revision: str | None = None, precision: str | None = None, by: str | None = None) -> list[str]:
    """Lift the model's removals (of one revision and/or precision, when given); their ids."""
    check_token(admin_token, token)
    reason, who = checked_text("reason", reason), actor(by)
    revision, precision = (revision or "").strip() or None, (precision or "").strip() or None
    with Writer(home, wait_message=None) as w, w.transaction():
        _current(w, model)
        restored = w.restore_entries(model, revision, precision, who)
        if not restored:
            raise MaintenanceError("model", f"{model} has no removal to restore"
                                            + (" for that revision/precision" if revision or precision else ""))
        w.record_action(Action(who, "restore", model, reason, {"removal_ids": restored, "revision": revision,
                                                                "precision": precision}))
    return restored


def rename(home: Path, old: str, new: str, *, reason: str, token: str | None, admin_token: str | None,
           by: str | None = None) -> None:
    """Rename a model in the warehouse: its requests, runs, flags and removals follow; searching the old name
    finds it. Refused onto a model that exists (merging two models' histories is no rename)."""
    check_token(admin_token, token)
    reason, who = checked_text("reason", reason), actor(by)
    if old == new:
        raise MaintenanceError("new", f"{new} is the model's name already")
    with Writer(home, wait_message=None) as w, w.transaction():
        _current(w, old)
        if w.model_exists(new):
            raise MaintenanceError("new", f"{new} is a model already: renaming onto it is refused "
                                          "(remove one of them instead)")
        w.rename_model(old, new, reason, who)
        w.record_action(Action(who, "rename", old, reason, {"old": old, "new": new}))


def record(home: Path, action: Action) -> None:
    """Add the audit entry of an action taken outside the warehouse (relaunching a request)."""
    with Writer(home, wait_message=None) as w, w.transaction():
        w.record_action(action)
