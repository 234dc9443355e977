"""About: how to read the leaderboard, and what imports set aside (the quarantine, per file)."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from warehouse import queries

st.title("ℹ️ About llmboard")
st.markdown("""
**What it is.** A leaderboard you can host yourself. Anyone submits an open model (a hub id or a local git
repository, a revision, a precision); evaluation workers run it through EleutherAI's lm-evaluation-harness;
every run is kept, so a model's history across commits and precisions stays visible.

**How a score is computed.** Each benchmark is rescaled so that guessing scores 0 and a perfect answer sheet
scores 100: `score = max(0, raw − baseline) / (1 − baseline) × 100`, where the baseline is what random
answers would get (1/4 for a four-choice question). Where a benchmark has subtasks with different numbers of
choices (BBH, MuSR), each subtask is rescaled on its own and the results are averaged with equal weight.
IFEval has no baseline: it is the mean of its prompt-level and instruction-level strict accuracies. The
average is the plain mean of the benchmarks; on the leaderboard it covers only the benchmark columns you
chose to show. "Raw scores" shows the benchmark values before rescaling, in percent.

**Categories.** *pretrained*: trained from scratch on raw text. *continuously pretrained*: a pretrained model
trained further on more raw text. *fine-tuned*: trained further on task or instruction data.
*chat*: tuned for conversation (RLHF, DPO, ...). *merges*: built by combining the weights of other models,
without training.

**Precisions.** `float32`, `bfloat16`, `float16` load the weights as they are, at 4 or 2 bytes per
parameter. `8bit` and `4bit` quantize them when loading (bitsandbytes); `gguf` runs a llama.cpp file
(about 0.56 bytes per parameter for Q4_1). Lower precision uses less memory and usually costs some points;
the Quantization page shows how many, per benchmark.

**Reading a failure.** A *submission* failure means the model itself could not be evaluated as asked (a
missing file, an architecture that needs remote code, a revision that moved): fix it and submit again. An
*infrastructure* failure (a worker crashed, ran out of memory or time) is retried automatically; when retries
run out, a maintainer can relaunch it. The Queue page shows each failure's reason and the end of its log.

**Flags.** Anyone can flag a model (test-set contamination, an unattributed copy or merge, a wrong category).
An open flag marks the model with a 🚩 badge linking to its thread and hides nothing; only a maintainer's
confirmation hides it from the default view ("Show flagged" brings it back), and a dismissal clears the badge.

**Search.** `;` separates names (any of them matches); `Hub License: mit` keeps only that license.
""")

st.subheader("Imported rows set aside")
by_file = data.cached(queries.quarantine_by_file)
if by_file.height == 0:
    st.caption("Every row of every imported file loaded: nothing is in quarantine.")
else:
    st.markdown(f"**{by_file['rows'].sum()}** rows of **{by_file.height}** imported files could not be loaded "
                "and were kept aside with their reason (`llmboard import ... --json` lists them too). Fix the "
                "file and import it again: its entries here are replaced by what still fails.")
    st.dataframe(by_file, hide_index=True, width="stretch",
                 column_config={"source_file": "file", "first_reason": "first reason", "quarantined_at": "when"})
    chosen = st.selectbox("Rows of a file", by_file["source_file"].to_list())
    rows = data.cached(queries.quarantined_rows, chosen)
    st.dataframe(rows.select("row_number", "row_key", "reason", "raw", "raw_file"), hide_index=True,
                 width="stretch")
