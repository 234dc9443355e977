"""The bundled offline suite: six families shaped like the Open LLM Leaderboard v2, no downloads.

Every item is generated from a seed by ``evaluator.suite.write_suite``; this module only declares
what exists: each task's benchmark, output type, metric, number of choices, random baseline and size.
The families mirror ``leaderboard``'s: output types, metrics and baselines match, the content does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.benchmarks import Benchmark, Suite


@dataclass(frozen=True)
class OfflineTask:
    name: str  # lm-eval task name, always "llmb_..."
    benchmark: str  # Benchmark.key of the family it belongs to
    output_type: str  # multiple_choice | generate_until
    metric: str  # the metric the family is scored on
    choices: int | None  # number of choices for multiple_choice, else None
    baseline: float  # expected score of a model that guesses
    items: int  # number of test items


def _mc(name: str, benchmark: str, metric: str, choices: int, items: int) -> OfflineTask:
    return OfflineTask(name, benchmark, "multiple_choice", metric, choices, 1 / choices, items)


def _gen(name: str, benchmark: str, metric: str, items: int) -> OfflineTask:
    return OfflineTask(name, benchmark, "generate_until", metric, None, 0.0, items)


TASKS: tuple[OfflineTask, ...] = (
    _gen("llmb_ifeval", "ifeval", "prompt_level_strict_acc", 40),
    _mc("llmb_bbh_boolean_expressions", "bbh", "acc_norm", 2, 30),
    _mc("llmb_bbh_object_counting", "bbh", "acc_norm", 9, 30),
    _mc("llmb_bbh_word_sorting", "bbh", "acc_norm", 10, 30),
    _mc("llmb_bbh_dyck_languages", "bbh", "acc_norm", 4, 30),
    _mc("llmb_bbh_date_arithmetic", "bbh", "acc_norm", 7, 30),
    _gen("llmb_math_addition", "math", "exact_match", 25),
    _gen("llmb_math_subtraction", "math", "exact_match", 25),
    _gen("llmb_math_multiplication", "math", "exact_match", 25),
    _gen("llmb_math_sequences", "math", "exact_match", 25),
    _mc("llmb_gpqa_sequences", "gpqa", "acc_norm", 4, 25),
    _mc("llmb_gpqa_antonyms", "gpqa", "acc_norm", 4, 25),
    _mc("llmb_gpqa_past_tense", "gpqa", "acc_norm", 4, 25),
    _mc("llmb_mmlu_pro", "mmlu_pro", "acc", 10, 50),
    _mc("llmb_musr_murder_mysteries", "musr", "acc_norm", 2, 25),
    _mc("llmb_musr_object_placements", "musr", "acc_norm", 5, 25),
    _mc("llmb_musr_team_allocation", "musr", "acc_norm", 3, 25),
)

# lm-eval groups: the top group holds every family; families with subtasks get a group of their own.
TOP_GROUP = "llmb_offline"
GROUPS: dict[str, str] = {
    "bbh": "llmb_bbh",
    "math": "llmb_math_hard",
    "gpqa": "llmb_gpqa",
    "musr": "llmb_musr",
}


def _subtasks(benchmark: str) -> tuple[str, ...]:
    return tuple(t.name for t in TASKS if t.benchmark == benchmark)


def _baselines(benchmark: str) -> dict[str, float]:
    return {t.name: t.baseline for t in TASKS if t.benchmark == benchmark}


OFFLINE = Suite(
    name="offline",
    display="llmboard offline suite",
    benchmarks=(
        Benchmark("ifeval", "IFEval", "mean_of_metrics", "llmb_ifeval",
                  ("prompt_level_strict_acc", "inst_level_strict_acc")),
        Benchmark("bbh", "BBH", "subtask_mean", "llmb_bbh", ("acc_norm",),
                  baselines=_baselines("bbh"), subtasks=_subtasks("bbh")),
        Benchmark("math", "MATH Lvl 5", "group", "llmb_math_hard", ("exact_match",), 0.0,
                  subtasks=_subtasks("math")),
        Benchmark("gpqa", "GPQA", "group", "llmb_gpqa", ("acc_norm",), 0.25, subtasks=_subtasks("gpqa")),
        Benchmark("musr", "MUSR", "subtask_mean", "llmb_musr", ("acc_norm",),
                  baselines=_baselines("musr"), subtasks=_subtasks("musr")),
        Benchmark("mmlu_pro", "MMLU-PRO", "group", "llmb_mmlu_pro", ("acc",), 0.1),
    ),
    lm_eval_tasks=(TOP_GROUP,),
)
