"""Model: everything about one model: metadata, runs, per-task scores, its requests, flags, samples."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from core.vocabulary import WEIGHT_TYPES
from dashboard import data
from dashboard.views import parameter_count, plain
from warehouse import queries

st.title("🔎 Model")
names = data.model_names()
if not names:
    st.info("No results yet: submit a model on the Submit page.")
    st.stop()
wanted = st.query_params.get("model")
model = st.selectbox("Model", names, index=names.index(wanted) if wanted in names else 0)
st.query_params["model"] = model

info = data.cached(queries.model_info, model) or {}
flags = data.cached(queries.model_flags, model)
open_flags = flags.filter(pl.col("status").is_in(["open", "confirmed"])) if flags.height else flags
st.header(model + ("  🚩 flagged" if open_flags.height else ""))
meta = st.columns(5)
meta[0].metric("Type", info.get("model_type") or "?")
meta[1].metric("Parameters", parameter_count(info.get("params_b")))
meta[2].metric("License", info.get("license") or "?")
meta[3].metric("Weight type", info.get("weight_type") or WEIGHT_TYPES[0])  # unset: the original weights
meta[4].metric("Architecture", info.get("architecture") or "?")
if info.get("base_model"):
    st.caption(f"Base model: {plain(info['base_model'])}")
for flag in open_flags.iter_rows(named=True):
    st.warning(f"Flagged ({flag['kind']}, {flag['status']}) by {plain(flag['author'])}: {plain(flag['reason'])} "
               f"([thread](flags?flag={flag['flag_id']}))")

runs = data.cached(queries.model_runs, model)
st.subheader(f"Runs ({runs.height})")
if runs.height == 0:
    st.info("No evaluation finished yet; see its requests below and the Queue page.")
else:
    st.dataframe(runs.drop("samples_file"), hide_index=True, width="stretch", key="runs")
    labels = [f"{r['suite']} · {r['precision']} · {r['sha']} · {r['finished_at']:%Y-%m-%d %H:%M}"
              for r in runs.iter_rows(named=True)]
    pick = st.selectbox("Run", range(runs.height), format_func=labels.__getitem__)
    run = runs.row(pick, named=True)
    bench = data.cached(queries.run_benchmarks, run["run_id"])
    if bench.height:
        shown = bench.with_columns(pl.col("normalized").clip(0, 100))
        shown = shown.with_columns(plus=(pl.col("ci_high") - pl.col("normalized")).clip(0).fill_null(0),
                                   minus=(pl.col("normalized") - pl.col("ci_low")).clip(0).fill_null(0))
        fig = go.Figure(go.Bar(x=shown["benchmark"].to_list(), y=shown["normalized"].to_list(),
                               error_y={"type": "data", "symmetric": False, "array": shown["plus"].to_list(),
                                        "arrayminus": shown["minus"].to_list()},
                               customdata=shown.select("ci_low", "ci_high").to_numpy(),
                               hovertemplate="%{x}: %{y:.2f} (95%: %{customdata[0]:.2f} to %{customdata[1]:.2f})"
                                             "<extra></extra>"))
        fig.update_layout(title="Each benchmark and the average with its 95% interval (where the run has one)",
                          yaxis_title="normalized score", yaxis_range=[0, 100])
        st.plotly_chart(fig, width="stretch", key="benchmark_intervals")
    st.subheader("Per-task scores")
    st.dataframe(data.cached(queries.run_task_scores, run["run_id"]), hide_index=True, width="stretch", key="tasks")

    st.subheader("Per-sample details")
    if not run["samples_file"]:
        st.caption("This run has no per-sample details (imported results carry none).")
    else:
        f = st.columns([2, 1, 3])
        tasks = data.cached(queries.run_samples, run["run_id"], limit=100000)["task"].unique().sort().to_list()
        task = f[0].selectbox("Task", ["all", *tasks])
        outcome = f[1].selectbox("Outcome", ["all", "correct", "incorrect"])
        text = f[2].text_input("Text in prompt, target or response")
        samples = data.cached(queries.run_samples, run["run_id"], task=None if task == "all" else task,
                             correct={"all": None, "correct": True, "incorrect": False}[outcome], text=text or None)
        st.caption(f"{samples.height} samples")
        st.dataframe(samples, hide_index=True, width="stretch", key="samples")

requests = data.cached(queries.model_requests, model)
st.subheader(f"Requests ({requests.height})")
for r in requests.iter_rows(named=True):
    with st.expander(f"{r['status']} · {r['precision']} · {r['sha'] or r['revision']} · {r['submitted_time']}"):
        if r["failure_reason"]:
            st.error(f"{r['failure_kind'] or 'failure'}: {r['failure_reason']}")
        st.dataframe(data.cached(queries.request_history, r["request_id"]), hide_index=True, width="stretch")
        if r["log_tail"]:
            st.code(r["log_tail"], language="text")

st.page_link("screens/flags.py", label="Flag this model or discuss its flags", icon="🚩")
