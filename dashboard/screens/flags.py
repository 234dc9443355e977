"""Flags: raise a concern about a model, discuss it; maintainers resolve or dismiss it."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from warehouse import flags as flagging
from warehouse import queries

st.title("🚩 Flags")
st.caption("A model with an open flag is hidden from the leaderboard unless 'Show flagged' is on.")
names = data.model_names()
if not names:
    st.info("No models yet: flags can be raised once a model has been evaluated. Submit one on the Submit page.")
    st.stop()


def attempt(action, *args, **kwargs) -> bool:
    try:
        action(data.home(), *args, **kwargs)
    except flagging.FlagError as exc:
        st.error(f"{exc.field}: {exc.message}")
        return False
    return True


with st.form("new_flag", clear_on_submit=True):
    st.subheader("Flag a model")
    wanted = st.query_params.get("model")
    model = st.selectbox("Model", names, index=names.index(wanted) if wanted in names else 0)
    kind = st.selectbox("Kind", flagging.KINDS)
    reason = st.text_area("Reason", placeholder="What is wrong, with a link to the evidence")
    author = st.text_input("Your name", value="anonymous")
    if st.form_submit_button("Flag") and attempt(flagging.flag_model, model, kind, reason, author):
        st.success(f"Flagged {model}.")

all_flags = data.cached(queries.model_flags)
st.subheader(f"All flags ({all_flags.height})")
if all_flags.height == 0:
    st.info("No model has been flagged.")
token = st.text_input("Admin token (maintainers only)", type="password")
for flag in all_flags.iter_rows(named=True):
    badge = "🚩" if flag["status"] == "open" else "✅"
    with st.expander(f"{badge} {flag['model_id']} · {flag['kind']} · {flag['status']}", expanded=flag["status"] == "open"):
        st.write(f"**{flag['author']}** ({flag['created_at']:%Y-%m-%d %H:%M}): {flag['reason']}")
        for c in flag["comments"] or []:
            st.write(f"**{c['author']}** ({c['created_at']:%Y-%m-%d %H:%M}): {c['body']}")
        if flag["status"] != "open":
            st.caption(f"{flag['status']} by {flag['closed_by']} at {flag['closed_at']}")
            continue
        fid = flag["flag_id"]
        body = st.text_input("Comment", key=f"body-{fid}")
        b = st.columns(3)
        if b[0].button("Comment", key=f"comment-{fid}") and attempt(flagging.comment, fid, body, author):
            st.rerun()
        for col, status in zip(b[1:], flagging.CLOSED, strict=True):
            if col.button(status.removesuffix("d").title(), key=f"{status}-{fid}") and attempt(
                    flagging.close, fid, status, token=token, admin_token=data.config().admin_token):
                st.rerun()
