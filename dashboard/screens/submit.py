"""Submit: check a model and put it in the queue."""

from __future__ import annotations

import streamlit as st

from core.vocabulary import MODEL_TYPES, PRECISIONS, WEIGHT_TYPES
from dashboard import data
from dashboard.views import queue_groups
from evaluator.checks import SubmissionError
from evaluator.submit import Submission, submit

st.title("📤 Submit a model")
st.caption("A Hugging Face hub id (org/name) or the path of a local git repository. Each check that fails "
           "is shown next to its field.")

FIELDS = ("model", "revision", "precision", "weight_type", "base_model", "model_type", "use_chat_template", "sender")
problem: SubmissionError | None = st.session_state.get("submit_error")


def note(field: str) -> None:
    if problem is not None and problem.field == field:
        st.error(problem.message, icon="⚠️")


with st.form("submit"):
    model = st.text_input("Model (hub id or local path)", placeholder="org/name or /path/to/repo")
    note("model")
    model_id = st.text_input("List a local repository as (optional)", placeholder="org/name")
    note("model_id")
    revision = st.text_input("Revision (branch, tag or commit)", value="main")
    note("revision")
    cols = st.columns(3)
    with cols[0]:
        precision = st.selectbox("Precision", list(PRECISIONS))
        note("precision")
    with cols[1]:
        weight_type = st.selectbox("Weight type", list(WEIGHT_TYPES))
        note("weight_type")
    with cols[2]:
        model_type = st.selectbox("Model type", list(MODEL_TYPES))
        note("model_type")
    base_model = st.text_input("Base model (for Delta or Adapter weights)")
    note("base_model")
    chat = st.checkbox("Use the chat template")
    note("use_chat_template")
    sender = st.text_input("Your name", value="anonymous")
    note("sender")
    sent = st.form_submit_button("Submit")

if sent:
    sub = Submission(model=model.strip(), revision=revision.strip() or "main", precision=precision,
                     weight_type=weight_type, model_type=model_type, base_model=base_model.strip(),
                     use_chat_template=chat, sender=sender.strip() or "anonymous", model_id=model_id.strip() or None,
                     via_web=True)
    try:
        if not sub.model:
            raise SubmissionError("model", "enter a hub id (org/name) or the path of a local git repository")
        req = submit(sub, data.config())  # via_web: local paths only as LLMBOARD_ADDRESS/LOCAL_MODELS allow
    except SubmissionError as exc:
        st.session_state["submit_error"] = exc
        st.session_state.pop("submitted", None)
    except Exception as exc:  # the queue or the file system: a message, never a traceback
        st.session_state["submit_error"] = SubmissionError("model", f"could not submit: {exc}")
    else:
        st.session_state.pop("submit_error", None)
        st.session_state["submitted"] = req.request_id
    st.rerun()

if problem is not None:
    st.error(f"Not submitted: {problem.field}: {problem.message}")
if rid := st.session_state.get("submitted"):
    pending = queue_groups(data.requests())["PENDING"]
    place = next((i + 1 for i, r in enumerate(pending) if r.request_id == rid), None)
    req = next((r for r in data.requests() if r.request_id == rid), None)
    if req is not None:
        st.success(f"Submitted {req.model} at {req.sha[:10]} in {req.precision}: request {rid}, "
                   f"status {req.status}" + (f", place {place} of {len(pending)} in the queue." if place else "."))
        st.json(req.to_json(), expanded=False)
    st.page_link("screens/queue.py", label="Follow it in the queue", icon="⏳")
