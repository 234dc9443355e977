"""Flags: raise a concern about a model and discuss it; maintainers confirm or dismiss it with a reason."""

from __future__ import annotations

import streamlit as st

from core.settings import is_maintainer
from dashboard import data
from dashboard.views import plain
from warehouse import flags as flagging
from warehouse import queries

st.title("🚩 Flags")
st.caption("An open flag puts a 🚩 badge on the model, linking here. Only a maintainer's confirmation hides the "
           "model from the leaderboard ('Show flagged' brings it back); a dismissal clears the badge. "
           f"One sender may open {flagging.FLAGS_PER_DAY} flags a day.")
names = data.model_names()
if not names:
    st.info("No models yet: flags can be raised once a model has been evaluated. Submit one on the Submit page.")
    st.stop()


def attempt(action, *args, **kwargs) -> bool:
    try:
        action(data.home(), *args, **kwargs)
    except (flagging.FlagError, flagging.NotAllowed) as exc:
        st.error(str(exc))
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
with st.expander("Maintainers", expanded=bool(st.session_state.get("flags_token"))):
    token = st.text_input("Admin token (maintainers only)", type="password", key="flags_token")
    by = st.text_input("Maintainer name (for the audit log)", key="flags_by")
maintainer = is_maintainer(data.config().admin_token, token)
if token and not maintainer:
    st.error("admin_token: wrong maintainer token")
BADGES = {"open": "🚩", "confirmed": "⛔", "dismissed": "✅"}
shown = st.query_params.get("flag")
for flag in all_flags.iter_rows(named=True):
    fid = flag["flag_id"]
    title = f"{BADGES.get(flag['status'], '✅')} {flag['model_id']} · {flag['kind']} · {flag['status']}"
    with st.expander(title, expanded=flag["status"] == "open" or fid == shown):
        st.markdown(f"**{plain(flag['author'])}** ({flag['created_at']:%Y-%m-%d %H:%M}): {plain(flag['reason'])}")
        for c in flag["comments"] or []:
            st.markdown(f"**{plain(c['author'])}** ({c['created_at']:%Y-%m-%d %H:%M}): {plain(c['body'])}")
        if flag["status"] != "open":
            st.caption(f"{flag['status']} by {flag['closed_by']} at {flag['closed_at']}")
        body = st.text_input("Comment", key=f"body-{fid}")
        if st.button("Comment", key=f"comment-{fid}") and attempt(flagging.comment, fid, body, author):
            st.rerun()
        if not maintainer:
            continue
        why = st.text_input("Reason for the decision", key=f"why-{fid}")
        b = st.columns(2)
        for col, (status, label) in zip(b, (("confirmed", "Confirm (hide)"), ("dismissed", "Dismiss")), strict=True):
            if flag["status"] != status and col.button(label, key=f"{status}-{fid}") and attempt(
                    flagging.close, fid, status, reason=why, token=token, admin_token=data.config().admin_token,
                    by=by):
                st.rerun()
