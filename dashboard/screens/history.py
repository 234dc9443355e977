"""History: a model's scores across its commits, in one precision."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import data
from dashboard.views import REAL_CHANGE, difference_line
from warehouse import queries

st.title("📈 Score history across commits")
suites = data.suites()
if not suites:
    st.info("No results yet: submit a model (Submit page) and its runs will be charted here.")
    st.stop()
top = st.columns([1, 3, 1])
suite = top[0].selectbox("Suite", suites)
models = data.cached(queries.model_choices, suite)
names = models["model_id"].to_list() if models.height else []
wanted = st.query_params.get("model")
model = top[1].selectbox("Model", names, index=names.index(wanted) if wanted in names else 0)
picked = models.filter(pl.col("model_id") == model).row(0, named=True)
precisions = picked["precisions"]
# default: the precision evaluated at the most commits, whose chart has the most to show
default = precisions.index(picked["most_commits"]) if picked["most_commits"] in precisions else 0
precision = top[2].selectbox("Precision", precisions, index=default)

runs = data.cached(queries.run_history, model, precision, suite=suite)
if runs.height == 0:
    st.info("This model has no runs in this precision yet.")
    st.stop()
keys = [(k, label) for k, label in queries.benchmark_columns(suite) if k in runs.columns]
fig = go.Figure()
hover = ("%{customdata[0]} · %{customdata[2]}<br>evaluated %{customdata[1]}<br>"
         "%{fullData.name}: %{y:.2f}<extra></extra>")
details = runs.select("short_sha", pl.col("run_at").dt.strftime("%Y-%m-%d %H:%M"),
                      pl.col("commit_title").fill_null("")).to_numpy()
for key, label in [*keys, ("average", "Average")]:
    fig.add_trace(go.Scatter(
        x=runs["label"].to_list(), y=runs[key].to_list(), name=label, mode="lines+markers",
        customdata=details, hovertemplate=hover,
        line={"width": 4 if key == "average" else 2, "dash": "solid" if key == "average" else "dot"}))
fig.update_layout(title=f"{model} · {precision}: oldest commit on the left", xaxis_title="commit",
                  yaxis_title="score (normalized)", hovermode="closest",
                  xaxis={"type": "category", "categoryorder": "array", "categoryarray": runs["label"].to_list()})
st.plotly_chart(fig, width="stretch")

# The average alone: its 95% interval as a band, and a mark on each step between consecutive commits whose
# paired interval excludes zero (a real change, not noise).
fig = go.Figure()
if runs["average_ci_low"].is_not_null().any():  # the average's 95% interval, as a band
    band = runs.select("label", "average_ci_low", "average_ci_high").drop_nulls()
    fig.add_trace(go.Scatter(x=[*band["label"], *band["label"].reverse()],
                             y=[*band["average_ci_high"], *band["average_ci_low"].reverse()],
                             fill="toself", mode="lines", line={"width": 0}, fillcolor="rgba(99,110,250,0.15)",
                             name="Average: 95% interval", hoverinfo="skip"))
fig.add_trace(go.Scatter(x=runs["label"].to_list(), y=runs["average"].to_list(), name="Average",
                         mode="lines+markers", customdata=details, hovertemplate=hover, line={"width": 3}))
steps = data.cached(queries.commit_steps, model, precision, suite=suite)
real = steps.filter(pl.col("significant")) if steps.height else steps
if real.height:  # a mark on each step whose paired interval excludes zero
    last_label = dict(runs.group_by("run_id").agg(pl.col("label").first()).iter_rows())
    average_of = dict(runs.select("run_id", "average").iter_rows())
    fig.add_trace(go.Scatter(
        x=[last_label[r] for r in real["to_run"]], y=[average_of[r] for r in real["to_run"]], mode="markers",
        marker={"symbol": ["triangle-up" if d > 0 else "triangle-down" for d in real["diff"]], "size": 16,
                "color": ["seagreen" if d > 0 else "crimson" for d in real["diff"]]},
        name=REAL_CHANGE, customdata=real.select("verdict").to_numpy(),
        hovertemplate="%{customdata[0]} (95% paired interval excludes 0)<extra></extra>"))
fig.update_layout(title="Average with its 95% interval; ▲▼ a change the paired comparison says is real",
                  xaxis_title="commit", yaxis_title="average (normalized)", hovermode="closest",
                  xaxis={"type": "category", "categoryorder": "array", "categoryarray": runs["label"].to_list()})
st.plotly_chart(fig, width="stretch", key="average_bands")
spread = (runs.group_by("sha").agg(pl.len().alias("runs"), (pl.col("average").max() - pl.col("average").min())
                                   .alias("spread")).filter(pl.col("runs") > 1))
if spread.height:
    st.warning("Re-runs of the same commit: " + "; ".join(
        f"{s[:7]} ran {n}× (average spread {d:.2f} points)" for s, n, d in spread.iter_rows()))
table = runs.join(spread.select("sha", "spread"), on="sha", how="left").select(
    pl.col("commit_position").alias("Commit #"), pl.col("short_sha").alias("Sha"),
    pl.col("commit_title").alias("Commit"), pl.col("finished_at").alias("Evaluated"),
    pl.col("attempt").alias("Run of sha"), pl.col("runs_of_sha").alias("Runs of sha"),
    pl.col("spread").alias("Spread (avg)"), pl.col("average").alias("Average"),
    *[pl.col(k).alias(label) for k, label in keys], pl.col("origin").alias("Origin"))
st.dataframe(table, hide_index=True, width="stretch")
if steps.height:
    st.caption("Steps between consecutive commits, item by item (latest run of each):")
    st.markdown("\n".join("- " + difference_line(f"{step['from_sha'][:7]} → {step['to_sha'][:7]}", step)
                           for step in steps.iter_rows(named=True)))
    st.dataframe(steps.select(pl.col("from_sha").str.slice(0, 7).alias("From"),
                              pl.col("to_sha").str.slice(0, 7).alias("To"), pl.col("diff").alias("Δ average"),
                              pl.format("[{}, {}]", pl.col("ci_low").round(2), pl.col("ci_high").round(2))
                              .alias("95% interval"), pl.col("verdict").alias("Verdict")),
                 hide_index=True, width="stretch", key="steps")
