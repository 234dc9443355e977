"""The dashboard's entry point: `streamlit run dashboard/app.py`. Pages live in dashboard/screens/."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `streamlit run` puts only this folder on the path

PAGES = Path(__file__).resolve().parent / "screens"  # not "pages/": Streamlit would serve those directly, bypassing st.navigation

st.set_page_config(page_title="llmboard", page_icon="🏆", layout="wide")
nav = st.navigation([
    st.Page(PAGES / "leaderboard.py", title="Leaderboard", icon="🏆", default=True, url_path="leaderboard"),
    st.Page(PAGES / "queue.py", title="Queue", icon="⏳", url_path="queue"),
    st.Page(PAGES / "submit.py", title="Submit", icon="📤", url_path="submit"),
    st.Page(PAGES / "history.py", title="History", icon="📈", url_path="history"),
    st.Page(PAGES / "quantization.py", title="Quantization", icon="⚖️", url_path="quantization"),
    st.Page(PAGES / "model.py", title="Model", icon="🔎", url_path="model"),
    st.Page(PAGES / "flags.py", title="Flags", icon="🚩", url_path="flags"),
    st.Page(PAGES / "maintainers.py", title="Maintainers", icon="🛠️", url_path="maintainers"),
    st.Page(PAGES / "about.py", title="About", icon="ℹ️", url_path="about"),
])
nav.run()
