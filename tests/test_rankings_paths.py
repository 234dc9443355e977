"""The leaderboard's page reads (a prefix of the table by average, counts from facets or the in-memory
search columns) give exactly what the plain read of the whole view gives, on a table large enough for
those paths to be taken: generated views, pages deep and shallow, ties and missing averages. The rows a
long-lived reader holds in memory (the dashboard's) give what the snapshot's queries give."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.vocabulary import CATEGORIES, PRECISIONS
from warehouse import queries
from warehouse.ingest import Writer
from warehouse.read import reader

MODELS = 2500
RUNS = 6000
NAMES = ("llama", "qwen", "mistral", "yi", "phi")
LICENSES = ("mit", "apache-2.0", "other")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("rankings") / "home"
    rng = np.random.default_rng(3)
    names = [f"org{i % 37}/{NAMES[i % len(NAMES)]}-{i % 11}b-v{i}" for i in range(MODELS)]
    model = rng.integers(0, MODELS, RUNS)
    average = np.round(rng.uniform(0, 60, RUNS), 1)  # one decimal: many ties
    with Writer(home, wait_message=None) as w:
        w.insert_frame("models", pa.table({
            "model_id": names, "license": np.array(LICENSES)[rng.integers(0, len(LICENSES), MODELS)],
            "params_b": rng.uniform(0.1, 70, MODELS), "model_type": np.array(CATEGORIES)[rng.integers(0, 3, MODELS)],
            "merged": rng.random(MODELS) < 0.2}), updated_at="now()")
        w.insert_frame("runs", pa.table({
            "run_id": [f"run{i:06d}" for i in range(RUNS)], "model_id": np.array(names)[model],
            "precision": np.array(PRECISIONS[:3])[rng.integers(0, 3, RUNS)],
            "finished_at": np.datetime64("2024-01-01") + rng.integers(0, 10**7, RUNS).astype("timedelta64[s]"),
            "average": pa.array(average, mask=rng.random(RUNS) < 0.03)}),  # some runs without an average
            suite="'leaderboard'", origin="'bench'", ingested_at="now()")
        w.insert_frame("flags", pa.table({"flag_id": [f"f{i}" for i in range(40)], "model_id": names[:40]}),
                       kind="'other'", reason="'a test flag'", author="'tester'", created_at="now()",
                       status="'confirmed'")  # flagged models: hidden unless show_flagged
    return home


def test_the_prefix_and_the_facet_counts_are_taken_here(home):
    """The table is large enough that a first page reads a prefix (else this file tests nothing new)."""
    whole = queries.rankings(home, suite="leaderboard", show_flagged=True)
    assert whole.height > 3000 and whole["average"].null_count() > 0 and whole["flagged"].any()


VIEWS = st.fixed_dictionaries({}, optional={
    "category": st.sampled_from([*CATEGORIES[:3], "all"]),
    "precision": st.sampled_from(PRECISIONS[:3]),
    "show_flagged": st.booleans(),
    "show_merged": st.booleans(),
    "license": st.sampled_from(LICENSES),
    "params_min": st.sampled_from([1.0, 30.0]),
    "params_max": st.sampled_from([5.0, 60.0]),
    "show_moe": st.booleans(),
    "weight_type": st.sampled_from(["Original", "Adapter"]),
    "search": st.sampled_from(["llama", "qwen; yi", "b-v1", "Hub License: mit", "phi; Hub License: other", "zzz",
                               "org3/"]),
})


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(view=VIEWS, limit=st.sampled_from([1, 10, 100, 1000]), offset=st.sampled_from([0, 5, 100, 2000, 5900]))
def test_a_page_is_the_slice_of_the_whole_view(home, view, limit, offset):
    whole = queries.rankings(home, suite="leaderboard", **view)
    page, total = queries.rankings_page(home, suite="leaderboard", limit=limit, offset=offset, **view)
    assert total == whole.height
    expected = whole.slice(offset, limit)
    assert page.select("rank", "model_id", "precision", "static_rank").rows() == \
        expected.select("rank", "model_id", "precision", "static_rank").rows()


def test_the_static_rank_is_the_rank_in_the_whole_suite(home):
    every = queries.rankings(home, suite="leaderboard", show_flagged=True)
    expected = every["average"].rank("min", descending=True).fill_null(every["average"].count() + 1)
    assert every["static_rank"].to_list() == expected.cast(pl.Int64).to_list()
    chat = queries.rankings(home, suite="leaderboard", show_flagged=True, category=CATEGORIES[1])
    by_model = dict(zip(every.select("model_id", "precision").rows(), every["static_rank"], strict=True))
    assert [by_model[k] for k in chat.select("model_id", "precision").rows()] == chat["static_rank"].to_list()


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(view=VIEWS, all_revisions=st.booleans(), limit=st.sampled_from([1, 10, 100, 1000]),
       offset=st.sampled_from([0, 5, 100, 2000, 5900]))
def test_the_rows_held_in_memory_give_what_the_snapshot_gives(home, view, all_revisions, limit, offset):
    view = {"suite": "leaderboard", "all_revisions": all_revisions, **view}
    held = reader(home)
    held.hold_views = False  # the snapshot's queries
    try:
        expected = (queries.rankings_page(home, limit=limit, offset=offset, **view), queries.rankings(home, **view),
                    queries.rankings_count(home, **view), queries.view_rank_bounds(home, **view))
        held.hold_views = True
        assert queries.warm_rankings(home, "leaderboard", all_revisions=all_revisions)
        (page, total), whole, count, bounds = (
            queries.rankings_page(home, limit=limit, offset=offset, **view), queries.rankings(home, **view),
            queries.rankings_count(home, **view), queries.view_rank_bounds(home, **view))
    finally:
        held.hold_views = False
    assert total == expected[0][1] == count == expected[2]
    assert page.equals(expected[0][0]) and whole.equals(expected[1])
    assert (bounds is None) == (expected[3] is None)
    if bounds is not None:
        assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(bounds, expected[3], strict=True))
