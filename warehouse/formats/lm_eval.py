"""lm-evaluation-harness results files (the v2 leaderboard, our offline suite, any lm-eval run):
``results``, ``groups``, ``configs``, ``n-samples``, ``n-shot`` and ``group_subtasks`` read into
ParsedResults, one named step per section."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from itertools import repeat
from typing import Any, NamedTuple

from warehouse.formats.common import FormatError, all_of_type, finite_number, shown, typed_field
from warehouse.formats.lm_eval_model import model_name, model_precision, parse_model_args
from warehouse.formats.scores import ParsedResults, ScoreRow, date_from_name, section_rows


class _Sections(NamedTuple):
    """The file's top-level objects, each checked to be an object (absent → empty)."""

    results: dict
    config: dict
    configs: dict
    n_samples: dict
    groups: dict
    group_subtasks: dict | None  # None: absent, to be inferred from task names
    n_shot: dict


def parse_lm_eval(data: dict, source: str) -> ParsedResults:
    """An lm-eval results JSON whose ``results`` is already known to be an object of objects."""
    sections = _sections(data, source)
    n_samples = _sample_counts(sections.n_samples, source)
    scores = _scores(sections.results, sections.groups, n_samples, source)
    tasks, suite = _tasks_and_suite(sections)
    group_subtasks = _group_subtasks(sections, tasks, scores, source)
    n_choices, num_fewshot = _choices_and_fewshot(sections.configs, sections.n_shot, source)
    _check_run_fields(data, source)

    config = sections.config
    args = parse_model_args(config.get("model_args"))
    sha = (
        data.get("model_sha")
        or config.get("model_sha")
        or config.get("model_revision")
        or args.get("revision")
    )
    version = data.get("lm_eval_version")
    multiturn = data.get("fewshot_as_multiturn")
    chat_template = data.get("chat_template")
    return ParsedResults(
        source_file=source,
        format="lm-eval",
        model=model_name(data, args),
        sha=str(sha) if sha else None,
        precision=model_precision(config, args),
        suite=suite,
        evaluated_at=_epoch(data, "date", source) or _epoch(data, "start_time", source) or date_from_name(source),
        lm_eval_version=str(version) if version else None,
        transformers_version=data.get("transformers_version") or None,
        chat_template=chat_template if isinstance(chat_template, str) and chat_template else None,
        fewshot_as_multiturn=multiturn if isinstance(multiturn, bool) else None,
        num_fewshot=num_fewshot,
        scores=scores,
        n_choices=n_choices,
        group_subtasks=group_subtasks,
        raw=data,
        git_hash=data.get("git_hash") or None,
    )


def _sections(data: dict, source: str) -> _Sections:
    def section(key: str, what: str) -> Any:
        return typed_field(data, key, dict, source, what)

    return _Sections(
        results=data["results"],
        config=section("config", "an object (lm-eval's run configuration)") or {},
        configs=section("configs", "an object of task → task configuration") or {},
        n_samples=section("n-samples", "an object of task → {original, effective}") or {},
        groups=section("groups", "an object of group → metrics") or {},
        group_subtasks=section("group_subtasks", "an object of group → list of tasks"),
        n_shot=section("n-shot", "an object of task → number of few-shot examples") or {},
    )


def _sample_counts(n_samples_raw: dict, source: str) -> dict[str, int]:
    """Task → documents evaluated (``effective``, else ``original``)."""
    if all_of_type(n_samples_raw.values(), dict):  # nearly always: read in C, not key by key
        effective = list(map(dict.get, n_samples_raw.values(), repeat("effective")))
        if _whole_counts(effective):  # nearly always: one int in range for each task
            return dict(zip(n_samples_raw, effective, strict=True))
    n_samples: dict[str, int] = {}
    for task, counts in n_samples_raw.items():
        count = counts.get("effective", counts.get("original")) if isinstance(counts, dict) else counts
        if type(count) is int and 0 <= count <= MAX_COUNT:  # nearly always: skip _count's checks
            n_samples[task] = count
            continue
        count = _count(count)
        if count is None:
            raise FormatError(
                source, f"n-samples.{task}", "expected {'original': int, 'effective': int}, counts from 0 to "
                f"{MAX_COUNT}, got {shown(counts)}"
            )
        n_samples[task] = count
    return n_samples


MAX_COUNT = 2**31 - 1  # the warehouse keeps counts as 32-bit integers


def _whole_counts(values: list) -> bool:
    """Whether every value is an int (no bool) from 0 to MAX_COUNT, tested without a Python loop."""
    return not values or (all_of_type(values, int) and min(values) >= 0 and max(values) <= MAX_COUNT)


def _count(value: Any) -> int | None:
    """A whole number from 0 to MAX_COUNT (``12`` or ``12.0``, as JSON may write it), else None."""
    number = finite_number(value)
    if number is None or not number.is_integer() or not 0 <= number <= MAX_COUNT:
        return None
    return int(number)


def _scores(results: dict, groups: dict, n_samples: dict[str, int], source: str) -> list[ScoreRow]:
    """Rows of ``results``, then of ``groups`` (a group also listed under results keeps its results values)."""
    scores = section_rows(results, n_samples, source, "results")
    if groups:
        group_rows = section_rows(groups, n_samples, source, "groups")
        seen = {row[:3] for row in scores if row[0] in groups}
        scores += [row for row in group_rows if row[:3] not in seen] if seen else group_rows
    return scores


def _group_subtasks(
    sections: _Sections, tasks: list[str], scores: list[ScoreRow], source: str
) -> dict[str, list[str]]:
    """Group → direct subtasks: as the file declares them, or else inferred from task names."""
    if sections.group_subtasks is not None:
        group_subtasks = {}
        for group, members in sections.group_subtasks.items():
            if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
                raise FormatError(
                    source, f"group_subtasks.{group}", f"expected a list of task names, got {shown(members)}"
                )
            if members:  # lm-eval >= 0.4.8 lists every task, leaves with []
                group_subtasks[group] = list(members)
        return group_subtasks
    scored = {row.task for row in scores}
    groups, configs = sections.groups, sections.configs
    leaves = set(configs) if configs else {t for t in scored if t not in groups}
    return _infer_group_subtasks(tasks, leaves, set(groups) | (set(tasks) - scored))


def _infer_group_subtasks(tasks: list[str], leaves: set[str], groups_hint: set[str]) -> dict[str, list[str]]:
    """Group → direct subtasks from task names, for files without ``group_subtasks``. A group is a task
    that is no leaf (not in ``configs``, no scores of its own, or listed in ``groups``); its members are
    the tasks named ``<group>_*`` or, for ``<head>_<tail>`` groups like ``leaderboard_math_hard``,
    ``<head>_*_<tail>``."""
    candidates = [t for t in tasks if t in groups_hint or t not in leaves]

    def members(group: str) -> set[str]:
        found = {t for t in tasks if t != group and t.startswith(group + "_")}
        if not found and "_" in group:
            head, tail = group.rsplit("_", 1)
            found = {t for t in tasks if t != group and t.startswith(head + "_") and t.endswith("_" + tail)}
        return found

    descendants = {group: members(group) for group in candidates}
    result = {}
    for group, inside in descendants.items():
        nested = set().union(*(descendants[g] for g in inside if g in descendants)) if inside else set()
        direct = [t for t in tasks if t in inside and t not in nested]
        if direct:
            result[group] = direct
    return result


def _choices_and_fewshot(configs: dict, n_shot: dict, source: str) -> tuple[dict[str, int], dict[str, int]]:
    """Only what scoring needs from the task configurations: the number of choices (for a random
    baseline) and the few-shot count, which ``n-shot`` overrides."""
    n_choices, num_fewshot = _configs_read(configs, source)
    shots = list(n_shot.values())
    if _whole_counts(shots):  # nearly always
        num_fewshot.update(zip(n_shot, shots, strict=True))
        return n_choices, num_fewshot
    for task, shots in n_shot.items():
        if type(shots) is int and 0 <= shots <= MAX_COUNT:  # nearly always: skip _count's checks
            num_fewshot[task] = shots
            continue
        count = _count(shots)
        if count is None:
            raise FormatError(source, f"n-shot.{task}", f"expected a whole number from 0 to {MAX_COUNT}, "
                                                        f"got {shown(shots)}")
        num_fewshot[task] = count
    return n_choices, num_fewshot


def _configs_read(configs: dict, source: str) -> tuple[dict[str, int], dict[str, int]]:
    """Task → number of choices (where ``doc_to_choice`` is a list) and task → ``num_fewshot`` (where it is
    a whole number in range; else unknown, which n-shot may say), from the task configurations."""
    if all_of_type(configs.values(), dict):  # nearly always: read in C, not key by key
        choices = list(map(dict.get, configs.values(), repeat("doc_to_choice")))
        shots = list(map(dict.get, configs.values(), repeat("num_fewshot")))
        n_choices = {task: len(c) for task, c in zip(configs, choices, strict=True) if isinstance(c, list)}
        if _whole_counts(shots):
            return n_choices, dict(zip(configs, shots, strict=True))
        return n_choices, {task: n for task, n in zip(configs, shots, strict=True)
                           if type(n) is int and 0 <= n <= MAX_COUNT}
    n_choices = {}
    num_fewshot = {}
    for task, task_config in configs.items():
        if not isinstance(task_config, dict):
            raise FormatError(
                source, f"configs.{task}", f"expected an object, got {type(task_config).__name__}"
            )
        choices = task_config.get("doc_to_choice")
        if isinstance(choices, list):
            n_choices[task] = len(choices)
        shots = task_config.get("num_fewshot")
        # else unknown: n-shot may say it (an int in range, nearly always, skips _count's checks)
        if type(shots) is int and (0 <= shots <= MAX_COUNT or _count(shots) is not None):
            num_fewshot[task] = shots
    return n_choices, num_fewshot


def _check_run_fields(data: dict, source: str) -> None:
    """The run's descriptive fields must be strings (or a boolean, for ``fewshot_as_multiturn``) or null."""
    for key in ("model_name", "chat_template", "transformers_version", "lm_eval_version", "git_hash"):
        typed_field(data, key, str, source, "a string or null")
    typed_field(data, "fewshot_as_multiturn", bool, source, "true, false or null")


_EPOCH_2000 = 946_684_800.0


def _epoch(data: dict, key: str, source: str) -> datetime | None:
    """``data[key]``, a Unix time → UTC datetime. lm-eval's ``start_time`` is a monotonic clock (seconds
    since boot), not a date, so values before 2000 are refused (None); a time past the year 9999 is an error."""
    value = data.get(key)
    number = finite_number(value)
    if number is None and type(value) is int and value > 0:  # an integer past a float's range
        number = math.inf
    if number is None or number < _EPOCH_2000:
        return None
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise FormatError(source, key, f"expected a Unix time in seconds, got {shown(data.get(key))} (past the "
                                       "year 9999)") from None


_TASKS: dict[tuple, tuple[list[str], str]] = {}  # the task names of results, groups and configs → what follows


def _tasks_and_suite(sections: _Sections) -> tuple[list[str], str]:
    """Every task the file names (results', groups', configs', in that order, once each) and its suite,
    computed once per distinct set of names: files of one suite repeat a few."""
    key = (tuple(sections.results), tuple(sections.groups), tuple(sections.configs))
    known = _TASKS.get(key)
    if known is None:
        tasks = list(dict.fromkeys([name for names in key for name in names]))
        known = tasks, _detect_suite(tasks)
        if len(_TASKS) < 10_000:
            _TASKS[key] = known
    return list(known[0]), known[1]


def _detect_suite(tasks: list[str]) -> str:
    """The suite most of the tasks belong to by name (the leaderboard's on a tie), else "other"."""
    leaderboard = offline = 0
    for task in tasks:
        if task.startswith("leaderboard_"):
            leaderboard += 1
        elif task.startswith("llmb_"):
            offline += 1
    if leaderboard >= offline:
        return "leaderboard" if leaderboard else "other"
    return "offline"
