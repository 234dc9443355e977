"""The dashboard's entry point: `streamlit run dashboard/app.py`. Pages live in dashboard/pages/."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run` puts only this folder on the path

PAGES = Path(__file__).resolve().parent / "pages"

st.set_page_config(page_title="llmboard", page_icon="🏆", layout="wide")
nav = st.navigation([
    st.Page(PAGES / "leaderboard.py", title="Leaderboard", icon="🏆", default=True, url_path="leaderboard"),
])
nav.run()
