"""Quantization: what each precision costs a model, and memory against score over every model."""

from __future__ import annotations

import plotly.express as px
import polars as pl
import streamlit as st

from core.vocabulary import REFERENCE_ORDER
from dashboard import data
from dashboard.views import deltas, difference_line, error_bars, memory_front, paired_table, precision_runs
from warehouse import queries

LATEST = "each precision's latest"


def have_samples(*run_ids: str) -> bool:
    runs = data.cached(queries.model_runs, model)
    files = dict(zip(runs["run_id"], runs["samples_file"], strict=True))
    return all(files.get(r) for r in run_ids)

st.title("⚖️ Precision and quantization")
suites = data.suites()
if not suites:
    st.info("No results yet: submit one model in several precisions to compare them here.")
    st.stop()
top = st.columns([1, 3, 2])
suite = top[0].selectbox("Suite", suites)
models = data.cached(queries.model_choices, suite).sort(pl.col("precisions").list.len(), descending=True)
names = models["model_id"].to_list() if models.height else []
wanted = st.query_params.get("model")
model = top[1].selectbox("Model", names, index=names.index(wanted) if wanted in names else 0,
                         help="Models evaluated in the most precisions come first")
shas = data.cached(queries.model_runs, model).filter(pl.col("suite") == suite)["sha"].unique(maintain_order=True).to_list()
sha = top[2].selectbox("Commit", [LATEST, *shas])

scores = data.cached(queries.precision_scores, model, sha=None if sha == LATEST else sha, suite=suite)
if scores.height == 0:
    st.info("No scores for this model and commit.")
    st.stop()
runs = precision_runs(scores)  # the run behind each precision, highest precision first
precisions = [r.precision for r in runs]
fig = px.bar(error_bars(scores), x="display", y="normalized", color="precision", barmode="group",
             error_y="err_plus", error_y_minus="err_minus",
             category_orders={"precision": precisions}, hover_data=["raw", "sha"],
             labels={"display": "benchmark", "normalized": "score (normalized)"},
             title=f"{model}: each benchmark per precision (error bars: one stderr, where known, within 0-100)")
st.plotly_chart(fig, width="stretch", key="per_precision")

if len(precisions) > 1:
    reference = st.selectbox("Reference precision", precisions)
    st.subheader(f"Difference from {reference} (points)")
    table = deltas(scores, runs, reference)
    st.dataframe(table, hide_index=True, width="stretch", key="deltas",
                 column_config={c: st.column_config.NumberColumn(format="%+.2f" if c.startswith("Δ") else "%.2f")
                                for c in table.columns[1:]})
    run_of = {r.precision: r.run_id for r in runs}
    other = st.selectbox("Agreement per sample with", [p for p in precisions if p != reference])
    agree = data.cached(queries.sample_agreement, run_of[reference], run_of[other])
    if agree.height:
        st.caption(f"Share of documents {reference} and {other} both got right or both got wrong")
        st.dataframe(agree, hide_index=True, key="agreement",
                     column_config={"agreement": st.column_config.ProgressColumn(min_value=0, max_value=1)})
    else:
        st.caption("No per-sample details for one of these runs.")
    st.subheader(f"Against {reference}, item by item")
    compared = [data.cached(queries.compare_runs, run_of[reference], run_of[p])
                for p in precisions if p != reference and have_samples(run_of[reference], run_of[p])]
    if compared:
        st.caption("The same items in both runs; 95% paired-bootstrap intervals. Flips: items right in one run "
                   "and wrong in the other. Agreement and KL divergence: the choice distributions of "
                   "multiple-choice items. Recovery: the variant's average over the reference's.")
        st.dataframe(paired_table(compared, runs), hide_index=True, width="stretch", key="paired",
                     column_config={"Flips": st.column_config.NumberColumn(format="percent"),
                                    "Agreement": st.column_config.NumberColumn(format="percent"),
                                    "Recovery": st.column_config.NumberColumn(format="percent")})
        st.markdown("\n".join(f"- {difference_line(c['precision_b'], c['average'])}" for c in compared))
    else:
        st.caption("No per-sample details for these runs (imported results carry none): no paired comparison.")
else:
    st.info(f"{model} was evaluated in one precision only; submit it in another to compare.")

st.subheader("Average against weight memory, every model")
memory = data.cached(queries.precision_memory, suite)
scatter = px.scatter(memory, x="weight_gb", y="average", color="precision", hover_name="model_id",
                     hover_data=["params_b"], log_x=True, category_orders={"precision": list(REFERENCE_ORDER)},
                     labels={"weight_gb": "weight memory (GB, params × bytes per parameter)", "average": "average"})
front = memory_front(memory)
if front.height > 1:
    scatter.add_scatter(x=front["weight_gb"].to_list(), y=front["average"].to_list(), mode="lines",
                        line={"dash": "dash", "color": "grey"}, name="front: best for its memory",
                        hoverinfo="skip")
st.plotly_chart(scatter, width="stretch", key="memory")
