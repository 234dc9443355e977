"""Leaderboard: who leads in my category."""

from __future__ import annotations

import polars as pl
import streamlit as st

from core.vocabulary import CATEGORIES
from dashboard import data
from dashboard.views import (
    BASE_COLUMNS,
    DEFAULT_COLUMNS,
    indistinguishable_groups,
    leaderboard_view,
    top_n_chart,
    view_csv,
    view_parquet,
)
from warehouse import queries
from warehouse.queries import SearchError

MAX_ROWS = 1000  # rows sent to the browser; a bigger table makes the first render slow
MARKS = ("open_flag", "renamed_from")  # an open flag's badge (a link to its thread), the model's earlier names
SEARCH_HELP = ("Separate names with ';' (a model matching any of them is shown), e.g. `llama; qwen`. "
               "`Hub License: mit` keeps only that license, together with any names; order does not matter.")

st.title("🏆 llmboard")
suites = data.suites()
if not suites:
    st.info("No results yet. Submit a model on the Submit page, or run `llmboard submit <repo>`; "
            "evaluated models appear here within seconds of finishing.")
    st.stop()

top = st.columns([2, 2, 4])
suite = top[0].selectbox("Suite", suites)
category = top[1].selectbox("Category", ["all", *CATEGORIES])
search = top[2].text_input("Search", placeholder="llama; qwen; Hub License: mit", help=SEARCH_HELP)
facets = data.cached(queries.leaderboard_facets, suite)
max_params = float(facets["max_params"] or 0) or 1.0
with st.expander("Filters and columns", expanded=False):
    f = st.columns(4)
    precision = f[0].selectbox("Precision", ["all", *facets["precisions"]])
    weight_type = f[1].selectbox("Weight type", ["all", *facets["weight_types"]])
    license = f[2].selectbox("License", ["all", *facets["licenses"]])
    params = f[3].slider("#Params (B)", 0.0, max_params, (0.0, max_params))
    t = st.columns(4)
    show_flagged = t[0].toggle("Show flagged", value=False)
    show_merged = t[1].toggle("Show merges", value=True)
    show_moe = t[2].toggle("Show MoE", value=True)
    raw = t[3].toggle("Raw scores", value=False, help="Raw benchmark values in percent instead of normalized scores")
    c = st.columns([3, 3, 2])
    benchmarks_all = queries.benchmark_columns(suite)
    labels = dict(benchmarks_all)
    shown = c[0].multiselect("Benchmarks (the average covers these only)", list(labels), default=list(labels),
                             format_func=labels.get)
    columns = c[1].multiselect("Columns", list(BASE_COLUMNS), default=DEFAULT_COLUMNS, format_func=BASE_COLUMNS.get)
    rank_mode = c[2].radio("Rank", ["within filter", "static"], horizontal=True)
    group_ties = c[2].toggle("Group rows that cannot be told apart", value=False,
                             help="Rows whose 95% intervals overlap enough that their order could be noise")

filters = dict(suite=suite, category=category, search=search or None, show_flagged=show_flagged,
               show_merged=show_merged, show_moe=show_moe,
               precision=None if precision == "all" else precision,
               weight_type=None if weight_type == "all" else weight_type,
               license=None if license == "all" else license,
               params_min=params[0] if params[0] > 0 else None,
               params_max=params[1] if params[1] < max_params else None)
bench = [(k, labels[k]) for k in shown]
stored_order = not raw and set(shown) == set(labels)  # the stored average orders rows: the first page is enough
needed = ["model_id", "precision", "static_rank", "average", "ci_low", "ci_high", *columns, *MARKS,
          *(f"{k}_raw" if raw else k for k, _ in bench)]
try:
    if stored_order:
        board, total = data.cached(queries.rankings_page, **filters, limit=MAX_ROWS, columns=needed)
    else:  # an average over other benchmarks, or over raw values, reorders: rank every row
        board = data.cached(queries.rankings, **filters, columns=needed)
        total = board.height
except SearchError as exc:
    st.error(str(exc))
    st.stop()
if stored_order and board.height:  # the stored average's interval (±) and the ranks it allows
    board = queries.add_rank_ranges(board, data.cached(queries.view_rank_bounds, **filters))

# options: the pins and the models in the table (not every model: 100,000 ids made the page slow); any
# other model id can be typed
options = list(dict.fromkeys([*st.session_state.get("pinned", []), *board["model_id"].to_list()]))
pins = st.multiselect("📌 Pinned models (stay on top)", options, key="pinned", accept_new_options=True,
                      placeholder="Pick from the table or type a model id",
                      help="Pinned models stay on top whatever the filter; type any model id to pin one not shown.")
pinned = data.pinned_rows(suite, pins, needed) if pins else None
if pins and (missing := sorted(set(pins) - set(pinned["model_id"]))):
    st.warning(f"Not on the {suite} leaderboard: {', '.join(missing)}")

if total == 0 and not pins:
    st.info("No model matches these filters. Clear the search or widen the filters.")
    st.stop()
view_args = dict(benchmarks=bench, columns=[*columns, *MARKS], raw=raw, rank_within_filter=rank_mode == "within filter")


def marked(table: pl.DataFrame) -> pl.DataFrame:
    """The badge of an open flag (a link to its thread) and the earlier names, as the table shows them."""
    badge = pl.when(pl.col("open_flag").is_not_null()).then(pl.lit("flags?flag=") + pl.col("open_flag"))
    return table.with_columns(badge.alias("open_flag")).rename({"open_flag": "🚩", "renamed_from": "Renamed from"})


view = marked(leaderboard_view(board, pinned=pinned, **view_args))
if group_ties and "Rank range" in view.columns:
    view = view.insert_column(1, indistinguishable_groups(view, board))
st.caption(f"{total} entries" + (f", {len(pins)} pinned" if pins else "")
           + (f"; the table shows the first {MAX_ROWS:,}, the downloads hold all" if total > MAX_ROWS else ""))
st.dataframe(view.head(MAX_ROWS), hide_index=True, width="stretch", key="board", column_config={
    "Details": st.column_config.LinkColumn("Details", display_text="open", width="small"),
    "📌": st.column_config.CheckboxColumn("📌", width="small"),
    "🚩": st.column_config.LinkColumn("🚩", display_text="open flag", width="small",
                                     help="An open flag: a maintainer has not decided on it yet"),
    "Average ⬆️": st.column_config.NumberColumn(format="%.2f"),
    "±": st.column_config.NumberColumn(format="± %.2f", help="Half the 95% interval of the average"),
    "Rank range": st.column_config.TextColumn(help="Best and worst rank this row's interval allows"),
    **{label: st.column_config.NumberColumn(format="%.2f") for label in view.columns if label in labels.values()},
})


def whole_view() -> pl.DataFrame:
    """Every row of the current view, not only the page shown: built when a download is asked for."""
    if board.height == total:
        return view
    return marked(leaderboard_view(data.whole_rankings(filters, needed), pinned=pinned, **view_args))


d = st.columns([1, 1, 4])
d[0].download_button("Download CSV", lambda: view_csv(whole_view()), "leaderboard.csv", "text/csv", on_click="ignore")
d[1].download_button("Download Parquet", lambda: view_parquet(whole_view()), "leaderboard.parquet",
                     "application/vnd.apache.parquet", on_click="ignore")

n = st.slider("Top N in the chart", 5, 50, 15)
top_n = view.head(n).with_columns(Entry=pl.format("{} ({})", "Model", "Precision") if "Precision" in view.columns
                                   else pl.col("Model"))
st.vega_lite_chart(top_n.select("Entry", "Rank", "Average ⬆️"), top_n_chart(n), width="stretch", key="top_n")
