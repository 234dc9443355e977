"""The 2023 (v1) leaderboard's lighteval results files: ``harness|arc:challenge|25`` keys and a
``config_general`` (or, in early files, ``config``) with model_name, model_sha and model_dtype."""

from __future__ import annotations

from warehouse.formats.common import FormatError, typed_field
from warehouse.formats.labels import normalize_precision
from warehouse.formats.scores import ParsedResults, ScoreRow, date_from_name, score_rows


def parse_lighteval(data: dict, source: str) -> ParsedResults:
    """A lighteval results JSON whose ``results`` is already known to be an object of objects."""
    general = (
        data.get("config_general") if isinstance(data.get("config_general"), dict) else data.get("config")
    )
    if not isinstance(general, dict):
        raise FormatError(
            source, "config_general", "missing; expected an object with model_name, model_sha, model_dtype"
        )
    scores: list[ScoreRow] = []
    num_fewshot: dict[str, int] = {}
    for key, metrics in data["results"].items():
        task, shots = _task_and_shots(key, source)
        if shots is not None:
            num_fewshot[task] = shots
        # summary_tasks counts requests (documents × choices), not documents: no n_samples for v1.
        scores.extend(score_rows(task, metrics, None, source, f"results.{key}"))

    def text(key: str) -> str | None:
        name = f"{'config_general' if general is data.get('config_general') else 'config'}.{key}"
        return typed_field(general, key, str, source, "a string or null", name=name) or None

    sha = text("model_sha")
    return ParsedResults(
        source_file=source,
        format="lighteval",
        model=text("model_name"),
        sha=sha,
        precision=normalize_precision(text("model_dtype")),
        suite="leaderboard_v1",
        evaluated_at=date_from_name(source),
        lm_eval_version=None,
        transformers_version=None,
        chat_template=None,
        fewshot_as_multiturn=None,
        num_fewshot=num_fewshot,
        scores=scores,
        n_choices={},
        group_subtasks=_prefix_groups(scores),
        raw=data,
        git_hash=text("lighteval_sha"),
    )


def _task_and_shots(key: str, source: str) -> tuple[str, int | None]:
    """``harness|arc:challenge|25`` → (``arc:challenge``, 25); ``all`` → (``all``, None)."""
    parts = key.split("|")
    if len(parts) == 3:
        shots = parts[2]  # "²" is a digit to isdigit() and no number to int(): ASCII digits only
        return parts[1], int(shots) if shots.isascii() and shots.isdigit() and len(shots) <= 9 else None
    if len(parts) == 1:
        return key, None  # "all"
    raise FormatError(source, f"results.{key}", "expected a key like 'harness|arc:challenge|25' or 'all'")


def _prefix_groups(scores: list[ScoreRow]) -> dict[str, list[str]]:
    """Tasks sharing a prefix before ``-`` (``hendrycksTest-anatomy``) form a group, when two or more do."""
    tasks = list(dict.fromkeys(row.task for row in scores))
    prefixes: dict[str, list[str]] = {}
    for task in tasks:
        if "-" in task:
            prefixes.setdefault(task.split("-", 1)[0], []).append(task)
    return {group: members for group, members in prefixes.items() if len(members) > 1}
