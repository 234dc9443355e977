"""Benchmarks are data: each suite is a list of benchmarks, each with its tasks, metric and scoring rule.

Scoring follows the Open LLM Leaderboard's published method:
``normalize(raw, baseline) = max(0, raw - baseline) / (1 - baseline) * 100``.

Rules:
- ``mean_of_metrics``: mean of several metrics of one task, times 100, no baseline (IFEval).
- ``subtask_mean``: normalize each subtask's metric with its own baseline, then the unweighted mean
  (BBH, MuSR). A subtask's baseline comes from ``baselines`` or else 1 / len(doc_to_choice) of its config.
- ``group``: the group's value (or, where the file has no group value, the sample-weighted mean of its
  subtasks), normalized with ``baseline`` (GPQA, MMLU-Pro, MATH).
- ``raw``: the metric times 100 (v1 leaderboard, which did not normalize).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Benchmark:
    key: str  # column id, e.g. "bbh"
    display: str  # column label, e.g. "BBH"
    rule: str  # mean_of_metrics | subtask_mean | group | raw
    task: str  # the group or task name; for subtask_mean the prefix of the subtasks
    metrics: tuple[str, ...]  # metric names without filter, e.g. ("acc_norm",)
    baseline: float = 0.0  # for group / raw
    baselines: dict[str, float] = field(default_factory=dict)  # per subtask, for subtask_mean
    subtasks: tuple[str, ...] = ()  # explicit subtask names (else: every task starting with task + "_")


@dataclass(frozen=True)
class Suite:
    name: str
    display: str
    benchmarks: tuple[Benchmark, ...]
    lm_eval_tasks: tuple[str, ...]  # what to pass to lm-eval's `tasks=`


LEADERBOARD_V2 = Suite(
    name="leaderboard",
    display="Open LLM Leaderboard v2",
    benchmarks=(
        Benchmark("ifeval", "IFEval", "mean_of_metrics", "leaderboard_ifeval",
                  ("prompt_level_strict_acc", "inst_level_strict_acc")),
        Benchmark("bbh", "BBH", "subtask_mean", "leaderboard_bbh", ("acc_norm",)),
        Benchmark("math", "MATH Lvl 5", "group", "leaderboard_math_hard", ("exact_match",), 0.0),
        Benchmark("gpqa", "GPQA", "group", "leaderboard_gpqa", ("acc_norm",), 0.25),
        Benchmark("musr", "MUSR", "subtask_mean", "leaderboard_musr", ("acc_norm",), baselines={
            "leaderboard_musr_murder_mysteries": 1 / 2,
            "leaderboard_musr_object_placements": 1 / 5,
            "leaderboard_musr_team_allocation": 1 / 3,
        }),
        Benchmark("mmlu_pro", "MMLU-PRO", "group", "leaderboard_mmlu_pro", ("acc",), 0.1),
    ),
    lm_eval_tasks=("leaderboard",),
)

LEADERBOARD_V1 = Suite(
    name="leaderboard_v1",
    display="Open LLM Leaderboard v1 (2023)",
    benchmarks=(
        Benchmark("arc", "ARC", "raw", "arc:challenge", ("acc_norm",)),
        Benchmark("hellaswag", "HellaSwag", "raw", "hellaswag", ("acc_norm",)),
        Benchmark("mmlu", "MMLU", "raw", "hendrycksTest", ("acc",)),
        Benchmark("truthfulqa", "TruthfulQA", "raw", "truthfulqa:mc", ("mc2",)),
        Benchmark("winogrande", "Winogrande", "raw", "winogrande", ("acc",)),
        Benchmark("gsm8k", "GSM8K", "raw", "gsm8k", ("acc",)),
    ),
    lm_eval_tasks=(),
)
