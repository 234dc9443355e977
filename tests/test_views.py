"""What pages show is read without guessing: parameter counts with enough digits, error bars that stay
within the score's range."""

from __future__ import annotations

import polars as pl

from dashboard.views import error_bars, parameter_count


def test_parameter_counts_keep_their_digits_at_every_size():
    assert parameter_count(7.241) == "7.24 B"
    assert parameter_count(0.1348) == "134.8 M"  # SmolLM2-135M, not "0.13"
    assert parameter_count(0.0000412) == "41.2 k"  # the demo's tiny models, not "0.00"
    assert parameter_count(None) == "?" and parameter_count(0) == "?"


def test_error_bars_never_run_below_zero_or_above_a_hundred():
    scores = pl.DataFrame({"normalized": [0.0, 1.5, 50.0, 99.0], "stderr": [3.0, 3.0, 3.0, None]})
    bars = error_bars(scores)
    assert bars["err_minus"].to_list() == [0.0, 1.5, 3.0, 0.0]
    assert bars["err_plus"].to_list() == [3.0, 3.0, 3.0, 0.0]
    assert ((bars["normalized"] - bars["err_minus"]) >= 0).all()
    assert ((bars["normalized"] + bars["err_plus"]) <= 100).all()
