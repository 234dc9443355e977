"""The submit API: check a submission, write its request record (PENDING), enqueue its job.

Used by the CLI and the dashboard; imports neither torch nor lm_eval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import redis

from core.settings import Config, is_loopback, is_maintainer
from core.vocabulary import MODEL_TYPES, PRECISIONS, WEIGHT_TYPES
from evaluator import checks
from evaluator.checks import SubmissionError
from evaluator.jobs import enqueue
from evaluator.lifecycle import Lifecycle
from evaluator.queue import QueueUnavailable, check_reachable
from evaluator.requests import Request, RequestStatus
from evaluator.sources import CommitInfo, open_source
from warehouse import queries

ACTIVE = {RequestStatus.PENDING, RequestStatus.RUNNING, RequestStatus.FINISHED}


@dataclass
class Submission:
    model: str  # org/name, or a local git repository path
    revision: str = "main"
    precision: str = "float32"
    weight_type: str = "Original"
    model_type: str = "pretrained"
    base_model: str = ""
    use_chat_template: bool = False
    sender: str = "anonymous"
    model_id: str | None = None  # the name to list a local repository under
    admin_token: str | None = None
    via_web: bool = False  # from the dashboard: local paths only as LLMBOARD_ADDRESS/LOCAL_MODELS allow


def local_model_id(path: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", path.name).strip("-._") or "model"
    return f"local/{name[:96]}"


PATH_PREFIXES = ("/", "./", "../", "~")


def is_local(model: str) -> bool:
    """A local repository is named by a path: one that starts like a path, or an existing folder whose
    name is no hub id ('org/name' always means the hub; write './org/name' for a folder)."""
    if model.startswith(PATH_PREFIXES):
        return True
    if checks.MODEL_ID.fullmatch(model):
        return False
    try:
        return Path(model).expanduser().is_dir()
    except (OSError, ValueError, RuntimeError):  # too long, a NUL byte, '~user' unknown: no folder
        return False


def local_path(model: str) -> Path:
    try:
        path = Path(model).expanduser()
        path.stat()
    except (OSError, ValueError, RuntimeError) as exc:
        raise SubmissionError("model", f"{checks.shown(model)} is no readable folder here "
                                       f"({type(exc).__name__}): give the path of a local git repository") from None
    return path


class Inspected(NamedTuple):
    """What the checks of a submission learned, before any request record is read."""

    model_id: str
    source: str  # the local repository's path, or "hub"
    facts: checks.ModelFacts
    commit: CommitInfo


def check_web_path(path: Path, cfg: Config) -> None:
    """A path typed into the dashboard names a folder on the server: allowed on a dashboard only its own
    machine reaches, or under LLMBOARD_LOCAL_MODELS (after following links) wherever it is served."""
    if cfg.local_models is not None:
        if not path.resolve().is_relative_to(cfg.local_models):
            raise SubmissionError("model", f"local repositories are accepted only under {cfg.local_models} "
                                           "(LLMBOARD_LOCAL_MODELS); or submit a hub id 'org/name'")
    elif not is_loopback(cfg.address):
        raise SubmissionError("model", f"this dashboard is served on {cfg.address}, so it accepts hub ids "
                                       "('org/name') only; a maintainer can allow the local repositories under "
                                       "one folder with LLMBOARD_LOCAL_MODELS")


def inspect_submission(sub: Submission, cfg: Config) -> Inspected:
    """The checks of the form and of the model's files. Reads no request record."""
    checks.check_choice("precision", sub.precision, PRECISIONS)
    checks.check_choice("weight_type", sub.weight_type, WEIGHT_TYPES)
    checks.check_choice("model_type", sub.model_type, MODEL_TYPES)
    if sub.weight_type in ("Delta", "Adapter") and not sub.base_model:
        raise SubmissionError("base_model", f"weight type {sub.weight_type} needs the base model it applies to "
                                            "('org/name'), or choose weight type Original")
    if sub.base_model:
        checks.check_model_id(sub.base_model, "base_model")
    if not isinstance(sub.model, str) or not sub.model.strip():
        raise SubmissionError("model", "is empty: give a hub id 'org/name' or the path of a local git repository")
    path = local_path(sub.model) if is_local(sub.model) else None
    if path is not None and sub.via_web:
        check_web_path(path, cfg)
    if sub.model_id:
        model_id = checks.check_model_id(sub.model_id, "model_id")
    else:
        model_id = checks.check_model_id(local_model_id(path) if path else sub.model)
    source = open_source(model_id, sub.revision, str(path) if path else None)
    facts = checks.inspect_model(source, sub.precision, sub.use_chat_template, cfg.max_params_b, sub.weight_type)
    return Inspected(model_id, str(path.resolve()) if path else "hub", facts, source.commit())


def admit(sub: Submission, cfg: Config, seen: Inspected, existing: list[Request],
          removed: frozenset[str] | set[str] = frozenset()) -> Request:
    """The checks against earlier requests (duplicates, rate limit, copies); the request to store. A request
    whose entry a maintainer removed (``removed``: their ids) is no duplicate."""
    model_id, source, facts, commit = seen
    for r in existing:
        if (r.model, r.sha, r.precision, r.weight_type) == (model_id, facts.sha, sub.precision, sub.weight_type) \
                and r.status in ACTIVE and r.request_id not in removed:
            raise SubmissionError("model", f"{model_id} at {facts.sha[:10]} in {sub.precision} ({sub.weight_type}) "
                                           f"was already submitted: see request {r.request_id} ({r.status}); a new "
                                           "commit or another precision is welcome")
    is_admin = is_maintainer(cfg.admin_token, sub.admin_token)
    if not is_admin:
        week_ago = (datetime.now(UTC) - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%S")
        recent = [r for r in existing if r.sender == sub.sender and r.submitted_time >= week_ago]
        if len(recent) >= cfg.rate_limit:
            raise SubmissionError("sender", f"{sub.sender} submitted {len(recent)} models in the last 7 days; the limit "
                                            f"is {cfg.rate_limit} per 7 days (LLMBOARD_RATE_LIMIT; maintainers are "
                                            "exempt)")
    prints = set(facts.fingerprint.values())
    copy_of = next((r.model for r in existing
                    if r.model != model_id and prints and prints == set((r.fingerprint or {}).values())), None)
    req = Request(
        request_id="", model=model_id, revision=sub.revision, sha=facts.sha, precision=sub.precision,
        weight_type=sub.weight_type, model_type=sub.model_type, base_model=sub.base_model,
        use_chat_template=sub.use_chat_template, sender=sub.sender, source=source,
        params=facts.params_b, architectures=facts.architectures, license=facts.license,
        fingerprint=facts.fingerprint, copy_of=copy_of, gguf_file=facts.gguf_file,
        commit_date=commit.date, commit_title=commit.title, commit_position=commit.position,
    )
    req.request_id = Request.make_id(model_id, facts.sha, sub.precision, sub.weight_type, req.submitted_time)
    return req


def submit(sub: Submission, cfg: Config) -> Request:
    """Check, record (PENDING) and enqueue. Raises SubmissionError with the field at fault.

    The model's files are checked first, without the request store's lock (a hub lookup or hashing
    large weights must not hold up workers); the checks against earlier requests run under it."""
    seen = inspect_submission(sub, cfg)
    moved = queries.renamed(cfg.home, seen.model_id)
    if moved is not None:
        raise SubmissionError("model", f"{seen.model_id} was renamed to {moved.new} by the maintainers "
                                       f"({moved.reason}): submit it as {moved.new}")
    removed = queries.removed_request_ids(cfg.home, seen.model_id)
    life = Lifecycle(cfg)
    check_reachable(life.conn, cfg.redis_url)  # no record for a request that no queue would hold
    with life.store.locked():
        req = admit(sub, cfg, seen, life.store.all(), removed)
        life.create(req)
    try:
        enqueue(req.request_id, cfg)  # a request whose copy_of is set gets its flag from the writer
    except (redis.RedisError, QueueUnavailable) as exc:  # the queue went away meanwhile: record nothing
        life.store.remove(req.request_id)
        raise QueueUnavailable(f"the queue at {cfg.redis_url} did not take the request ({exc}); nothing was "
                               "recorded: submit again once `llmboard up` (or REDIS_URL's server) runs") from None
    return life.store.load(req.request_id)
