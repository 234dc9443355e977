"""Serving the dashboard: `python -m dashboard.serve [streamlit options]` is `streamlit run dashboard/app.py
[streamlit options]`, after the server process has imported what every page's first run needs and opened
the read snapshot.

Without this the first visitor after a start waits for them: a page's first run imports polars, duckdb,
pyarrow and numpy (the warehouse queries), pandas (``st.dataframe`` imports it on its first call) and
Streamlit's emoji catalogue (the pages' icons are checked against it), and opens the snapshot; about a second
of a cold first render on the project's machine. The data cache stays empty: the first visitor still runs
the page's queries.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"


def warm_up() -> None:
    """Import what a page's first run needs and open the read snapshot (if anything was ingested)."""
    import pandas  # noqa: F401  st.dataframe's first call imports it
    import streamlit.emojis  # noqa: F401  icons and the favicon are checked against it

    from dashboard import data  # polars, duckdb, pyarrow, numpy and every warehouse query
    from warehouse import queries

    queries.available_suites(data.home())  # opens the current snapshot; nothing when the warehouse is empty


def main() -> None:
    warm_up()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    cli.main(prog_name="streamlit")  # as `python -m streamlit` calls it


if __name__ == "__main__":
    main()
