"""Maintainers: the audit log of every maintainer action (for everyone); with the admin token, remove and
restore entries, rename a model, relaunch failed requests."""

from __future__ import annotations

import streamlit as st

from core.settings import is_maintainer
from dashboard import data
from evaluator import maintainers
from evaluator.requests import RequestStatus
from warehouse import maintenance, queries

st.title("🛠️ Maintainers")
st.caption("Every action a maintainer takes is listed here: who, when, what and why. Removed entries stay "
           "stored and can be restored; a renamed model keeps its history and is found under its old name.")


def attempt(action, *args, **kwargs):
    try:
        return action(*args, **kwargs)
    except (PermissionError, ValueError, KeyError) as exc:
        st.error(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))
        return None


def audit_section() -> None:
    log = data.cached(queries.audit_log)
    st.subheader(f"Audit log ({log.height})")
    if log.height == 0:
        st.info("No maintainer action yet.")
    else:
        st.dataframe(log.drop("action_id"), hide_index=True, width="stretch", key="audit")


def removal_section(token: str, by: str, cfg) -> None:
    st.subheader("Remove or restore entries")
    with st.form("remove"):
        r = st.columns(3)
        model = r[0].selectbox("Model", data.model_names(), key="remove_model")
        revision = r[1].text_input("Revision (sha or prefix; empty: all)", key="remove_revision")
        precision = r[2].text_input("Precision (empty: all)", key="remove_precision")
        reason = st.text_input("Reason for the removal", key="remove_reason")
        if st.form_submit_button("Remove") and (done := attempt(
                maintenance.remove, cfg.home, model, reason=reason, token=token, admin_token=cfg.admin_token,
                revision=revision, precision=precision, by=by)):
            st.success(f"Removed {len(done.run_ids)} run(s) of {model}.")
    removed = data.cached(queries.removals)
    if removed.height == 0:
        st.info("No entry is removed.")
        return
    st.dataframe(removed.drop("removal_id", "restored_by", "restored_at"), hide_index=True, key="removed")
    with st.form("restore"):
        model = st.selectbox("Removed model", sorted(set(removed["model_id"])), key="restore_model")
        reason = st.text_input("Reason for the restore", key="restore_reason")
        if st.form_submit_button("Restore") and attempt(maintenance.restore, cfg.home, model, reason=reason,
                                                        token=token, admin_token=cfg.admin_token, by=by):
            st.success(f"Restored {model}.")


def rename_section(token: str, by: str, cfg) -> None:
    st.subheader("Rename a model")
    with st.form("rename"):
        r = st.columns(2)
        old = r[0].selectbox("Current name", data.model_names(), key="rename_old")
        new = r[1].text_input("New name (org/name)", key="rename_new")
        reason = st.text_input("Reason for the rename", key="rename_reason")
        if st.form_submit_button("Rename") and attempt(maintainers.rename, cfg, old, new.strip(), reason=reason,
                                                       token=token, by=by) is not None:
            st.success(f"Renamed {old} to {new.strip()}.")


def relaunch_section(token: str, by: str, cfg) -> None:
    st.subheader("Relaunch failed requests")
    failed = [r for r in data.requests() if r.status == RequestStatus.FAILED]
    if not failed:
        st.info("No failed request.")
        return
    labels = {r.request_id: f"{r.model} · {r.sha[:10]} · {r.precision} · {r.failure_kind}: {r.failure_reason}"
              for r in failed}
    wanted = st.selectbox("Failed request", list(labels), format_func=labels.get, key="relaunch_request")
    reason = st.text_input("Reason for the relaunch", key="relaunch_reason")
    b = st.columns(2)
    if b[0].button("Relaunch", key="relaunch_one") and (job := attempt(
            maintainers.relaunch, cfg, wanted, token, by=by, reason=reason)):
        st.success(f"Request {wanted} is queued again (job {job}).")
    if b[1].button("Relaunch every infrastructure failure", key="relaunch_infra"):
        ids = attempt(maintainers.relaunch_failed_infrastructure, cfg, token, by=by, reason=reason)
        if ids is not None:
            st.success(f"Re-queued {len(ids)} request(s).")


log_box = st.container()  # filled last: it lists what this run's action did, too
st.divider()
token = st.text_input("Admin token (maintainers only)", type="password", key="admin_token")
by = st.text_input("Your name (for the audit log)", key="admin_by")
cfg = data.config()
if not token:
    st.info("Enter the admin token to remove, restore, rename or relaunch.")
elif not is_maintainer(cfg.admin_token, token):
    st.error("admin_token: wrong maintainer token" if cfg.admin_token else
             "admin_token: maintainer actions are disabled (LLMBOARD_ADMIN_TOKEN is not set)")
else:
    removal_section(token, by, cfg)
    rename_section(token, by, cfg)
    relaunch_section(token, by, cfg)
with log_box:
    audit_section()
