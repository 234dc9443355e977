"""Leaderboard: who leads in my category."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from warehouse.queries import CATEGORIES, benchmark_columns
from warehouse.search import SearchError

st.title("🏆 llmboard")
suites = data.suites()
if not suites:
    st.info("No results yet. Submit a model on the Submit page, or run `llmboard submit <repo>`; "
            "evaluated models appear here within seconds of finishing.")
    st.stop()

left, mid, right = st.columns([2, 2, 3])
suite = left.selectbox("Suite", suites)
category = mid.selectbox("Category", ["all", *CATEGORIES])
search = right.text_input("Search", placeholder="llama; qwen; Hub License: mit",
                          help="Separate names with ';' (any of them matches). "
                               "'Hub License: X' keeps only that license, with any names.")
try:
    board = data.rankings(suite=suite, category=category, search=search or None)
except SearchError as exc:
    st.error(str(exc))
    st.stop()

if board.height == 0:
    st.info("No model matches these filters.")
    st.stop()
keys = benchmark_columns(suite)
columns = {"rank": "Rank", "model_id": "Model", "precision": "Precision", "model_type": "Type",
           "average": "Average ⬆️", **dict(keys), "params_b": "#Params (B)", "license": "Hub License",
           "sha": "Model sha"}
view = board.select([c for c in columns if c in board.columns]).rename({k: v for k, v in columns.items()
                                                                          if k in board.columns})
st.dataframe(view, hide_index=True, width="stretch")
