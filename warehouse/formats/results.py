"""A results file, whichever harness wrote it: checks what both formats share, then hands the file to
the lm-eval reader or, for the 2023 leaderboard's files, the lighteval reader."""

from __future__ import annotations

from pathlib import Path

from warehouse.formats.common import FormatError, all_of_type, load_json_object, shown
from warehouse.formats.lighteval import parse_lighteval
from warehouse.formats.lm_eval import parse_lm_eval
from warehouse.formats.scores import ParsedResults


def parse_results(path_or_dict: str | Path | dict, source_file: str | None = None) -> ParsedResults:
    """Parse an lm-eval or lighteval results file (a path, or its already-loaded JSON object)."""
    if isinstance(path_or_dict, dict):
        data, source = path_or_dict, source_file or "<dict>"
    else:
        data, source = load_json_object(path_or_dict), source_file or str(path_or_dict)
    results = data.get("results")
    if not isinstance(results, dict):
        raise FormatError(
            source,
            "results",
            "missing or not an object; expected lm-eval or lighteval results (an object of task → metrics)",
        )
    if not all_of_type(results.values(), dict):  # else every block is a plain dict (no loop)
        for task, metrics in results.items():
            if not isinstance(metrics, dict):
                raise FormatError(
                    source, f"results.{task}", f"expected an object of metric → value, got {shown(metrics)}"
                )
    if "config_general" in data or _names_lighteval_task(results):
        return parse_lighteval(data, source)
    return parse_lm_eval(data, source)


def _names_lighteval_task(results: dict) -> bool:
    """Whether a task name holds "|" (lighteval's ``harness|arc:challenge|25``)."""
    try:
        return "|" in "".join(results)  # one search, not one a name
    except TypeError:  # a name that is no string (a hand-made dict): as the search name by name fails
        return any("|" in task for task in results)
