"""Maintainers' actions that touch request records, as the CLI and the dashboard call them: relaunch a
failed request (or every request that failed for an infrastructure reason), rename a model. Each checks the
admin token first and leaves an entry in the audit log. Removals, restores and flag decisions touch only the
warehouse: ``warehouse.maintenance`` and ``warehouse.flags``.

A relaunch keeps the past: the request's history keeps every attempt's events, and the logs of the earlier
attempts are kept under a name of their own (``<id>-round<r>-attempt<n>.log``), so the next attempts'
logs never overwrite them.
"""

from __future__ import annotations

from core.settings import Config
from evaluator.checks import check_model_id
from evaluator.jobs import enqueue
from evaluator.lifecycle import Lifecycle
from evaluator.requests import Request, RequestStatus
from warehouse import maintenance
from warehouse.curation import Action
from warehouse.maintenance import NotAllowed, actor, check_token

__all__ = ["NotAllowed", "relaunch", "relaunch_failed_infrastructure", "rename"]

RELAUNCHED = "relaunched by "  # how a relaunch's event reason starts


def _keep_logs(cfg: Config, req: Request) -> list[str]:
    """Rename the request's attempt logs so that the relaunched attempts start with fresh names."""
    round_no = 1 + sum(1 for h in req.history if str(h.get("reason") or "").startswith(RELAUNCHED))
    kept = []
    for log in sorted(cfg.logs_dir.glob(f"{req.request_id}-attempt*.log")):
        target = log.with_name(log.name.replace("-attempt", f"-round{round_no}-attempt", 1))
        log.rename(target)
        kept.append(target.name)
    return kept


def _relaunch_one(cfg: Config, life: Lifecycle, request_id: str, who: str, reason: str) -> str:
    req = life.store.load(request_id)
    if req.status != RequestStatus.FAILED:
        raise ValueError(f"request {request_id} is {req.status}: only FAILED requests can be relaunched")
    kept = _keep_logs(cfg, req)
    note = f"; earlier attempts' logs kept as {', '.join(kept)}" if kept else ""
    life.transition(request_id, RequestStatus.PENDING, f"{RELAUNCHED}{who}: {reason}{note}", attempts=0,
                    failure_kind=None, failure_reason=None)
    return enqueue(request_id, cfg)


def relaunch(cfg: Config, request_id: str, token: str | None, *, by: str | None = None,
             reason: str | None = None) -> str:
    """Put a FAILED request back in the queue (maintainers only); returns the new job id."""
    check_token(cfg.admin_token, token)
    who, why = actor(by), (reason or "").strip() or "relaunched by a maintainer"
    life = Lifecycle(cfg)
    failure = life.store.load(request_id).failure_reason
    job = _relaunch_one(cfg, life, request_id, who, why)
    maintenance.record(cfg.home, Action(who, "relaunch", request_id, why, {"job_id": job, "failure": failure}))
    return job


def relaunch_failed_infrastructure(cfg: Config, token: str | None, *, by: str | None = None,
                                   reason: str | None = None) -> list[str]:
    """Re-queue every request that FAILED for an infrastructure reason (not its submission's); their ids."""
    check_token(cfg.admin_token, token)
    who, why = actor(by), (reason or "").strip() or "infrastructure failures relaunched"
    life = Lifecycle(cfg)
    failed = [r for r in life.store.all()
              if r.status == RequestStatus.FAILED and r.failure_kind == "infrastructure"]
    done = []
    for req in failed:
        _relaunch_one(cfg, life, req.request_id, who, why)
        done.append(req.request_id)
    if done:
        maintenance.record(cfg.home, Action(who, "relaunch", "failed-infrastructure", why, {"request_ids": done}))
    return done


def rename(cfg: Config, old: str, new: str, *, reason: str, token: str | None, by: str | None = None) -> list[str]:
    """Rename a model: in the warehouse (its requests, runs, flags and removals follow it, refused onto an
    existing model), then in its request records, so their later changes arrive under the new name (the
    writer maps an earlier name to the current one too). Returns the request ids rewritten."""
    check_token(cfg.admin_token, token)
    check_model_id(new, "new")
    maintenance.rename(cfg.home, old, new, reason=reason, token=token, admin_token=cfg.admin_token, by=by)
    store = Lifecycle(cfg).store
    moved = []
    with store.locked():
        for req in store.all():
            if req.model == old or req.base_model == old:
                req.model = new if req.model == old else req.model
                req.base_model = new if req.base_model == old else req.base_model
                store.save(req)
                moved.append(req.request_id)
    return moved
