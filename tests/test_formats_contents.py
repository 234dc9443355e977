"""Reading and writing the leaderboard's published contents table (CSV and Parquet)."""


import polars as pl
import pytest

from warehouse.formats.common import FormatError
from warehouse.formats.contents import BENCHMARK_COLUMNS, CONTENTS_COLUMNS, read_contents, to_contents

CONTENTS = "contents/v2_contents_sample.csv"
SCORE_COLUMNS = [
    c
    for c, ours in CONTENTS_COLUMNS.items()
    if ours and ours.split("_raw")[0] in ("ifeval", "bbh", "math", "gpqa", "musr", "mmlu_pro", "average")
]
SIX = ["IFEval", "BBH", "MATH Lvl 5", "GPQA", "MUSR", "MMLU-PRO"]


# --------------------------------------------------------------------------- contents table


def test_benchmark_columns_are_the_published_labels():
    # derived from core.benchmarks.LEADERBOARD_V2: renaming a display name there would break the table
    assert list(BENCHMARK_COLUMNS.values()) == SIX
    assert list(BENCHMARK_COLUMNS) == ["ifeval", "bbh", "math", "gpqa", "musr", "mmlu_pro"]


def test_contents_columns_normalized(fixtures):
    frame = read_contents(fixtures / CONTENTS)
    assert frame.height == 250
    assert list(frame.columns) == [ours for ours in CONTENTS_COLUMNS.values() if ours]
    assert frame["model"][0] == "3rd-Degree-Burn/Llama-3.1-8B-Squareroot-v1"  # from fullname, not the link
    assert set(frame["model_type"].unique()) <= {
        "pretrained",
        "continuously-pretrained",
        "fine-tuned",
        "chat",
        "merge",
        "multimodal",
    }
    assert frame["model_type"].null_count() == 0
    assert frame.schema["upload_date"] == pl.Date and frame["upload_date"].null_count() == 27
    assert frame.schema["available_on_hub"] == pl.Boolean and frame.schema["hub_hearts"] == pl.Int64
    assert frame["license"].null_count() == 89


def test_contents_round_trip(fixtures):
    original = pl.read_csv(fixtures / CONTENTS, infer_schema_length=0)
    exported = to_contents(read_contents(fixtures / CONTENTS))
    assert exported.columns == original.columns[1:]  # the first, unnamed column is a pandas index
    for column in SCORE_COLUMNS:
        assert exported[column].to_list() == original[column].cast(pl.Float64).to_list(), column
    for column in ("eval_name", "fullname", "Model", "Type", "T", "Model sha", "Precision", "Base Model"):
        assert exported[column].to_list() == original[column].to_list(), column


def test_contents_average_is_the_mean_of_the_six(fixtures):
    frame = pl.read_csv(fixtures / CONTENTS, infer_schema_length=0).select(
        pl.col([*SIX, "Average ⬆️"]).cast(pl.Float64)
    )
    recomputed = frame.select(pl.mean_horizontal(SIX)).to_series()
    assert (recomputed - frame["Average ⬆️"]).abs().max() < 0.01


def test_contents_parquet_and_bad_values(fixtures, tmp_path):
    frame = read_contents(fixtures / CONTENTS)
    parquet = tmp_path / "contents.parquet"
    typed = pl.read_csv(fixtures / CONTENTS).drop("")
    typed.write_parquet(parquet)
    assert read_contents(parquet).equals(frame)

    bad = tmp_path / "bad.csv"
    pl.read_csv(fixtures / CONTENTS, infer_schema_length=0).with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("n/a!")).otherwise(pl.col("GPQA")).alias("GPQA")
    ).write_csv(bad)
    with pytest.raises(FormatError) as error:
        read_contents(bad)
    assert error.value.field == "GPQA" and str(bad) in str(error.value)

    missing = tmp_path / "missing.csv"
    pl.read_csv(fixtures / CONTENTS, infer_schema_length=0).drop("fullname").write_csv(missing)
    with pytest.raises(FormatError, match="'fullname'"):
        read_contents(missing)
