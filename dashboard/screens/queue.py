"""Queue: where every request is. Refreshes itself every few seconds."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.views import queue_groups, requests_frame

REFRESH_S = 3

st.title("⏳ Evaluation queue")


@st.fragment(run_every=REFRESH_S)
def queue() -> None:
    groups = queue_groups(data.requests())
    if not any(groups.values()):
        st.info("The queue is empty. Submit a model on the Submit page or with `llmboard submit <repo>`.")
        return
    counts = st.columns(4)
    for col, status in zip(counts, ("PENDING", "RUNNING", "FINISHED", "FAILED"), strict=True):
        col.metric(status.title(), len(groups[status]))

    st.subheader(f"Running ({len(groups['RUNNING'])})")
    if not groups["RUNNING"]:
        st.caption("Nothing is being evaluated right now.")
    for r in groups["RUNNING"]:
        fraction = min(1.0, max(0.0, r.progress or 0.0))
        st.progress(fraction, text=f"{r.model} · {r.precision} · {(r.sha or '')[:10]} — "
                                   f"{r.progress_task or 'starting'} ({fraction:.0%})")

    st.subheader(f"Pending ({len(groups['PENDING'])})")
    if groups["PENDING"]:
        st.dataframe(requests_frame(groups["PENDING"]), hide_index=True, width="stretch", key="pending")
    else:
        st.caption("No request is waiting.")

    st.subheader(f"Failed ({len(groups['FAILED'])})")
    for r in groups["FAILED"]:
        with st.expander(f"❌ {r.model} · {r.precision} · {(r.sha or '')[:10]} — {r.failure_kind or 'failure'}"):
            st.error(r.failure_reason or "no reason recorded")
            st.caption("submission failures need a fixed model or revision; infrastructure failures are retried "
                       "automatically and can be relaunched by a maintainer")
            if r.log_tail:
                st.code(r.log_tail, language="text")

    st.subheader(f"Finished ({len(groups['FINISHED'])})")
    if groups["FINISHED"]:
        st.dataframe(requests_frame(groups["FINISHED"]), hide_index=True, width="stretch", key="finished")


queue()
st.page_link("screens/submit.py", label="Submit a model", icon="📤")
