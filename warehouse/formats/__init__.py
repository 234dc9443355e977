"""Readers for the Open LLM Leaderboard's file formats: pure parsing, no database.

- ``parse_results`` (results.py): an lm-evaluation-harness results JSON (lm_eval.py: the v2
  leaderboard, our offline suite, any lm-eval run) or a 2023 lighteval results JSON (lighteval.py: the
  v1 leaderboard), both read into ``ParsedResults`` and its ``ScoreRow``s (scores.py).
- ``parse_request`` (requests.py): a request file of ``open-llm-leaderboard/requests`` (v2) or
  ``open-llm-leaderboard-old/requests`` (v1).
- ``read_contents`` / ``to_contents`` (contents.py): the leaderboard's published ``contents`` table
  (CSV or Parquet); ``read_contents_table`` reads it row by row, each row with its own problem.
- Shared: ``FormatError`` and JSON and field readers (common.py); model-type and precision labels
  mapped onto core.vocabulary (labels.py).

Metric keys like ``acc_norm,none`` are split here, once. Every malformed input raises ``FormatError``
naming the file and the field. The names below are this package's interface; import them from here.
"""

from warehouse.formats.common import FormatError, json_object, loads
from warehouse.formats.contents import (
    BENCHMARK_COLUMNS,
    CONTENTS_COLUMNS,
    CONTENTS_SCHEMA,
    ContentsTable,
    RowProblem,
    read_contents,
    read_contents_table,
    to_contents,
)
from warehouse.formats.labels import CONTENTS_TYPE_LABELS, normalize_model_type, normalize_precision
from warehouse.formats.lm_eval_model import model_id_from_path, parse_model_args
from warehouse.formats.requests import ParsedRequest, parse_request
from warehouse.formats.results import parse_results
from warehouse.formats.scores import ParsedResults, ScoreRow, split_metric_key

__all__ = [
    "BENCHMARK_COLUMNS",
    "CONTENTS_COLUMNS",
    "CONTENTS_SCHEMA",
    "CONTENTS_TYPE_LABELS",
    "ContentsTable",
    "FormatError",
    "ParsedRequest",
    "ParsedResults",
    "RowProblem",
    "ScoreRow",
    "json_object",
    "loads",
    "model_id_from_path",
    "normalize_model_type",
    "normalize_precision",
    "parse_model_args",
    "parse_request",
    "parse_results",
    "read_contents",
    "read_contents_table",
    "split_metric_key",
    "to_contents",
]
