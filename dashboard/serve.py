"""Serving the dashboard: `python -m dashboard.serve [streamlit options]` is `streamlit run dashboard/app.py
[streamlit options]`, after the server process has imported what every page's first run needs and opened
the read snapshot.

Without this the first visitor after a start waits for them: a page's first run imports polars, duckdb,
pyarrow and numpy (the warehouse queries), pandas (``st.dataframe`` imports it on its first call) and
Streamlit's emoji catalogue (the pages' icons are checked against it), opens the snapshot and fills inspect's
map of modules to files (Streamlit's first element reads the call stack): on the project's 2 cores under load,
a fresh process's first leaderboard run took 1.2-3.8 s without this and 0.5-1.2 s with it. The data cache
stays empty: the first visitor still runs the page's queries.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"


def warm_up() -> None:
    """Import what a page's first run needs, open the read snapshot and hold the default suite's leaderboard
    rows in memory (if anything was ingested: at 1M runs this adds ~1.5 s to the start)."""
    import pandas  # noqa: F401  st.dataframe's first call imports it
    import streamlit.emojis  # noqa: F401  icons and the favicon are checked against it

    from dashboard import data  # polars, duckdb, pyarrow, numpy and every warehouse query
    from warehouse import queries

    queries.available_suites(data.home())  # opens the current snapshot; nothing when the warehouse is empty
    queries.hold_rankings_in_memory(data.home())
    queries.warm_rankings(data.home())  # the default suite's leaderboard rows, held in memory (later versions:
    # built in the background after each publish)
    # Streamlit's first element of a process looks at the call stack (env_util.is_repl): inspect maps every
    # loaded module to its file the first time, 60-140 ms with the modules above; here, not in a page's run
    inspect.stack()


def main() -> None:
    warm_up()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    cli.main(prog_name="streamlit")  # as `python -m streamlit` calls it


if __name__ == "__main__":
    main()
