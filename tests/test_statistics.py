"""The statistics are right: intervals cover the truth as often as they claim, paired results equal an
independent numpy computation, and the same inputs always give the same intervals."""

from __future__ import annotations

import numpy as np

from core.offline_suite import OFFLINE
from warehouse.statistics import (
    average_rule,
    benchmark_rule,
    bootstrap,
    choice_agreement,
    clustered_mean,
    flip_rate,
    paired_bootstrap,
    rank_intervals,
)

BBH = next(b for b in OFFLINE.benchmarks if b.key == "bbh")
GPQA = next(b for b in OFFLINE.benchmarks if b.key == "gpqa")


def test_the_standard_error_interval_covers_a_known_rate_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    covered = 0
    for _ in range(1000):
        est = clustered_mean(rng.random(400) < 0.3)
        covered += est.ci_low <= 0.3 <= est.ci_high
    assert 930 <= covered <= 970, covered


def test_clustered_intervals_cover_when_items_of_a_cluster_move_together():
    rng = np.random.default_rng(2)
    covered_clustered = covered_naive = 0
    for _ in range(1000):
        clusters = np.repeat(np.arange(60), 5)  # 60 prompts with 5 instructions each
        prompt_skill = rng.normal(0, 1.5, 60)[clusters]
        items = (rng.normal(prompt_skill, 1) > 0).astype(float)
        truth = 0.5
        c = clustered_mean(items, clusters)
        n = clustered_mean(items)
        covered_clustered += c.ci_low <= truth <= c.ci_high
        covered_naive += n.ci_low <= truth <= n.ci_high
    assert 930 <= covered_clustered <= 970, covered_clustered
    assert covered_naive < 900, "ignoring the clusters would claim too much"


def test_the_bootstrap_interval_of_a_subtask_mean_benchmark_covers_its_true_score():
    rule = benchmark_rule(BBH)
    rates = {t: 0.2 + 0.6 * i / len(BBH.subtasks) for i, t in enumerate(BBH.subtasks)}
    truth = rule({t: np.asarray(p) for t, p in rates.items()}, {t: 120 for t in rates})
    rng = np.random.default_rng(3)
    covered = 0
    for i in range(1000):
        tasks = {t: rng.random(120) < p for t, p in rates.items()}
        est = bootstrap(tasks, rule, n_boot=400, seed=i)
        covered += est.ci_low <= truth <= est.ci_high
    assert 930 <= covered <= 970, covered


def test_a_paired_difference_equals_an_independent_numpy_computation():
    rng = np.random.default_rng(4)
    tasks = GPQA.subtasks
    a = {t: (rng.random(50 + 10 * i) < 0.5).astype(float) for i, t in enumerate(tasks)}
    b = {t: np.where(rng.random(v.size) < 0.2, 1 - v, v) for t, v in a.items()}
    got = paired_bootstrap(a, b, benchmark_rule(GPQA), n_boot=500, seed=7)

    def score(runs):  # GPQA: the pooled accuracy, normalized with baseline 1/4
        pooled = np.concatenate([runs[t] for t in tasks])
        return max(0.0, pooled.mean() - 0.25) / 0.75 * 100

    assert np.isclose(got.diff, score(b) - score(a))
    # The same draws as the implementation makes (one matrix of item picks per task, in task order),
    # each scored here by plain numpy.
    draws, gen = [], np.random.default_rng(7)
    idx = {t: gen.integers(0, a[t].size, size=(500, a[t].size)) for t in sorted(tasks)}
    for k in range(500):
        draws.append(score({t: b[t][idx[t][k]] for t in tasks}) - score({t: a[t][idx[t][k]] for t in tasks}))
    low, high = np.percentile(draws, [2.5, 97.5])
    assert np.isclose(got.ci_low, low) and np.isclose(got.ci_high, high)
    assert got.n_paired == sum(v.size for v in a.values())
    flips = np.concatenate([a[t] != b[t] for t in tasks]).mean()
    assert np.isclose(flip_rate(np.concatenate([a[t] for t in tasks]) > 0,
                                np.concatenate([b[t] for t in tasks]) > 0), flips)


def test_the_same_inputs_give_the_same_intervals_every_time():
    rng = np.random.default_rng(5)
    items = {f"{b.key}/{t}": rng.random(40) < 0.4 for b in OFFLINE.benchmarks for t in (b.subtasks or (b.task,))}
    rule = average_rule(OFFLINE.benchmarks)
    first, second = bootstrap(items, rule), bootstrap(items, rule)
    assert first == second and first.ci_low < first.value < first.ci_high


def test_choice_agreement_and_kl_divergence():
    ref = [[-1.0, -2.0, -3.0], [-0.5, -0.4], [-3.0, -1.0, -2.0]]
    same = choice_agreement(ref, ref)
    assert same == (1.0, 0.0)
    var = [[-2.0, -1.0, -3.0], [-0.5, -0.4], [-3.0, -1.0, -2.0]]
    agreement, kl = choice_agreement(ref, var)
    p, q = np.exp(ref[0]) / np.exp(ref[0]).sum(), np.exp(var[0]) / np.exp(var[0]).sum()
    assert np.isclose(agreement, 2 / 3) and np.isclose(kl, np.sum(p * np.log(p / q)) / 3)


def test_rank_intervals_as_chatbot_arena_counts_them():
    values, low, high = [85, 80, 65, 62, 50, None], [80, 78, 60, 59, None, None], [90, 85, 70, 65, None, None]
    best, worst = rank_intervals(values, low, high)
    # the fifth row has no interval: its value (50) stands; the last has nothing: it could be anywhere
    assert list(best) == [1, 1, 3, 3, 5, 1] and list(worst) == [3, 3, 5, 5, 6, 6]


def test_rank_intervals_equal_the_pairwise_count_on_many_rows():
    rng = np.random.default_rng(9)
    mid = rng.normal(50, 10, 800)
    half = rng.uniform(0, 4, 800)
    best, worst = rank_intervals(mid, mid - half, mid + half)
    lo, hi = mid - half, mid + half
    assert (best == 1 + (lo[None, :] > hi[:, None]).sum(axis=1)).all()
    assert (worst == (hi[None, :] >= lo[:, None]).sum(axis=1)).all()
