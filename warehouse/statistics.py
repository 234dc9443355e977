"""Uncertainty of scores and of differences between runs, from per-item results.

A benchmark's score is a function of the mean item score of each of its tasks (see
``core.benchmarks``' rules). Its uncertainty comes from resampling the items:

- ``clustered_mean``: the mean of item scores with its standard error, clustered where items share a
  cluster (an IFEval prompt and its instructions); Miller 2024, "Adding Error Bars to Evals".
- ``bootstrap``: a stratified bootstrap (items resampled within each task, fixed seed) of any rule
  built from task means; it also covers rules that clip at a baseline or average over subtasks.
- ``paired_bootstrap``: the difference between two runs on the same items, resampling the same items
  for both, so item difficulty cancels out.
- ``flip_rate``, ``choice_agreement``: item-level agreement between two runs; ``rank_intervals``:
  the best and worst rank consistent with each row's interval (as Chatbot Arena shows).

Every function is pure numpy and deterministic for a given seed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from core.benchmarks import Benchmark

Z95 = 1.959963984540054
N_BOOT = 1000
SEED = 20241101

# A rule: task means (each an array of the same shape: () for the estimate, (N_BOOT,) for the bootstrap)
# and the tasks' item counts → the score (same shape).
Rule = Callable[[Mapping[str, np.ndarray], Mapping[str, int]], np.ndarray]


@dataclass(frozen=True)
class Estimate:
    value: float
    se: float | None
    ci_low: float | None
    ci_high: float | None


def clustered_mean(scores: Sequence[float], clusters: Sequence[object] | None = None) -> Estimate:
    """Mean of item scores, its standard error (clustered by ``clusters`` when given) and a 95% interval.

    Unclustered: sqrt(s² / n) with the sample variance. Clustered (Miller 2024, eq. 4): the sum over
    clusters of the squared sum of residuals, over n², with the small-sample factor C / (C - 1)."""
    x = np.asarray(scores, dtype=float)
    n = x.size
    if n == 0:
        return Estimate(float("nan"), None, None, None)
    mean = float(x.mean())
    if n == 1:
        return Estimate(mean, None, None, None)
    if clusters is None:
        se = float(x.std(ddof=1) / np.sqrt(n))
    else:
        _, index = np.unique(np.asarray(clusters, dtype=object).astype(str), return_inverse=True)
        sums = np.bincount(index, weights=x - mean)
        c = sums.size
        se = float(np.sqrt((sums**2).sum() * (c / (c - 1) if c > 1 else 1.0)) / n)
    return Estimate(mean, se, mean - Z95 * se, mean + Z95 * se)


def normalize(raw: np.ndarray | float, baseline: float) -> np.ndarray:
    """The leaderboard's normalization, max(0, raw - baseline) / (1 - baseline) * 100, elementwise."""
    return np.maximum(0.0, np.asarray(raw, dtype=float) - baseline) / (1.0 - baseline) * 100.0


def _resampled_means(items: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    n = items.size
    picks = rng.integers(0, n, size=(n_boot, n))
    return items[picks].mean(axis=1)


def bootstrap(tasks: Mapping[str, Sequence[float]], rule: Rule, *, n_boot: int = N_BOOT,
              seed: int = SEED) -> Estimate:
    """The rule's value on the tasks' items, with a stratified-bootstrap standard error and 95% percentile
    interval (items resampled with replacement within each task)."""
    arrays = {t: np.asarray(v, dtype=float) for t, v in tasks.items() if len(v)}
    counts = {t: a.size for t, a in arrays.items()}
    value = float(rule({t: a.mean() for t, a in arrays.items()}, counts))
    rng = np.random.default_rng(seed)
    draws = np.asarray(rule({t: _resampled_means(a, n_boot, rng) for t, a in sorted(arrays.items())}, counts))
    low, high = np.percentile(draws, [2.5, 97.5])
    return Estimate(value, float(draws.std(ddof=1)), float(low), float(high))


@dataclass(frozen=True)
class Paired:
    n_paired: int
    diff: float  # b minus a, on the rule's scale
    ci_low: float
    ci_high: float

    @property
    def significant(self) -> bool:
        return self.ci_low > 0 or self.ci_high < 0


@dataclass(frozen=True)
class PairedDraws:
    """Two runs' task means on their paired items, and the same means over ``n_boot`` resamplings that
    pick the same items for both runs: computed once, then any rule on any subset of tasks."""

    counts: dict[str, int]
    point_a: dict[str, float]
    point_b: dict[str, float]
    draws_a: dict[str, np.ndarray]
    draws_b: dict[str, np.ndarray]

    def difference(self, rule: Rule, tasks: Sequence[str] | None = None) -> Paired:
        """rule(b) - rule(a) on ``tasks`` (all by default), with its 95% percentile interval."""
        keep = [t for t in (tasks if tasks is not None else self.counts) if t in self.counts]
        if not keep:
            return Paired(0, float("nan"), float("nan"), float("nan"))
        counts = {t: self.counts[t] for t in keep}
        diff = float(rule({t: self.point_b[t] for t in keep}, counts) - rule({t: self.point_a[t] for t in keep}, counts))
        draws = (np.asarray(rule({t: self.draws_b[t] for t in keep}, counts))
                 - np.asarray(rule({t: self.draws_a[t] for t in keep}, counts)))
        low, high = np.percentile(draws, [2.5, 97.5])
        return Paired(sum(counts.values()), diff, float(low), float(high))


def paired_draws(a: Mapping[str, Sequence[float]], b: Mapping[str, Sequence[float]], *, n_boot: int = N_BOOT,
                 seed: int = SEED) -> PairedDraws:
    """Resample items within each task (tasks in sorted order), the same picks for both runs."""
    tasks = sorted(t for t in a if t in b and len(a[t]))
    xa = {t: np.asarray(a[t], dtype=float) for t in tasks}
    xb = {t: np.asarray(b[t], dtype=float) for t in tasks}
    for t in tasks:
        if xa[t].shape != xb[t].shape:
            raise ValueError(f"task {t}: {xa[t].size} items in one run, {xb[t].size} in the other; pair them first")
    rng = np.random.default_rng(seed)
    draws_a, draws_b = {}, {}
    for t in tasks:
        picks = rng.integers(0, xa[t].size, size=(n_boot, xa[t].size))
        draws_a[t], draws_b[t] = xa[t][picks].mean(axis=1), xb[t][picks].mean(axis=1)
    return PairedDraws({t: xa[t].size for t in tasks}, {t: float(xa[t].mean()) for t in tasks},
                       {t: float(xb[t].mean()) for t in tasks}, draws_a, draws_b)


def paired_bootstrap(a: Mapping[str, Sequence[float]], b: Mapping[str, Sequence[float]], rule: Rule, *,
                     n_boot: int = N_BOOT, seed: int = SEED) -> Paired:
    """rule(b) - rule(a) on items both runs answered (each task's arrays aligned item by item), with a
    95% interval from resampling the same items for both runs."""
    return paired_draws(a, b, n_boot=n_boot, seed=seed).difference(rule)


def flip_rate(correct_a: Sequence[bool], correct_b: Sequence[bool]) -> float:
    """Share of paired items answered rightly by one run and wrongly by the other."""
    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    return float((a != b).mean()) if a.size else float("nan")


def _softmax(loglik: np.ndarray) -> np.ndarray:
    z = loglik - loglik.max(axis=-1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=-1, keepdims=True)


def choice_items(ref: Sequence[Sequence[float] | None], var: Sequence[Sequence[float] | None]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Per paired multiple-choice item (each a list of per-choice log-likelihoods): whether the top
    choice is the same (1/0), and KL(ref ‖ var) of the choice distributions (softmax over the
    log-likelihoods) in nats; NaN where an item is no multiple-choice item in both runs."""
    n = len(ref)
    agree, kl = np.full(n, np.nan), np.full(n, np.nan)
    sizes = np.asarray([len(r) if r is not None and v is not None and len(r) == len(v) else 0
                        for r, v in zip(ref, var, strict=True)])
    for k in np.unique(sizes[sizes >= 2]):  # one matrix per number of choices
        rows = np.flatnonzero(sizes == k)
        r = np.asarray([ref[i] for i in rows], dtype=float)
        v = np.asarray([var[i] for i in rows], dtype=float)
        p, q = _softmax(r), _softmax(v)
        agree[rows] = (r.argmax(axis=1) == v.argmax(axis=1)).astype(float)
        kl[rows] = np.sum(p * (np.log(p + 1e-300) - np.log(q + 1e-300)), axis=1)
    return agree, kl


def choice_agreement(ref: Sequence[Sequence[float] | None], var: Sequence[Sequence[float] | None]
                     ) -> tuple[float, float]:
    """The share of paired multiple-choice items whose top choice is the same, and their mean
    KL(ref ‖ var); NaN where there is none (see ``choice_items``)."""
    agree, kl = choice_items(ref, var)
    mc = ~np.isnan(agree)
    return (float(agree[mc].mean()), float(kl[mc].mean())) if mc.any() else (float("nan"), float("nan"))


class RankBounds(NamedTuple):
    """A view's rows' interval bounds, each sorted: what any row's rank range is counted against."""

    low: np.ndarray
    high: np.ndarray


def _bounds(values, low, high) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds: a row without an interval counts as its value; without a value, anywhere."""
    def floats(xs):
        if isinstance(xs, np.ndarray):
            return xs.astype(float)
        return np.asarray([np.nan if x is None else x for x in xs], dtype=float)

    v, lo, hi = floats(values), floats(low), floats(high)
    lo, hi = np.where(np.isnan(lo), v, lo), np.where(np.isnan(hi), v, hi)
    return np.where(np.isnan(lo), -np.inf, lo), np.where(np.isnan(hi), np.inf, hi)


def rank_bounds(values, low, high) -> RankBounds:
    lo, hi = _bounds(values, low, high)
    return RankBounds(np.sort(lo), np.sort(hi))


def rank_range(bounds: RankBounds, values, low, high) -> tuple[np.ndarray, np.ndarray]:
    """Best and worst rank of these rows (1 = best, higher score better) among the view whose ``bounds``
    are given, as Chatbot Arena counts them: best = 1 + the rows whose lower bound is above this row's
    upper bound; worst = the rows whose upper bound is not below this row's lower bound (itself
    included). O(log n) a row."""
    lo, hi = _bounds(values, low, high)
    n = bounds.low.size
    best = 1 + n - np.searchsorted(bounds.low, hi, side="right")
    worst = n - np.searchsorted(bounds.high, lo, side="left")
    return best, worst


def rank_intervals(values: Sequence[float | None], low: Sequence[float | None], high: Sequence[float | None]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``rank_range`` of every row of a view among the view itself. O(n log n)."""
    return rank_range(rank_bounds(values, low, high), values, low, high)


def benchmark_rule(benchmark: Benchmark) -> Rule:
    """The benchmark's scoring rule (core.benchmarks) on task means, keyed by task (IFEval: by metric)."""
    if benchmark.rule == "group":  # the sample-weighted mean of the subtasks, normalized
        def rule(means, counts):
            total = sum(counts[t] for t in means)
            return normalize(sum(counts[t] * means[t] for t in means) / total, benchmark.baseline)
    elif benchmark.rule == "subtask_mean":  # each subtask normalized with its own baseline, then the mean
        def rule(means, counts):
            return sum(normalize(means[t], benchmark.baselines.get(t, 0.0)) for t in means) / len(means)
    else:  # mean_of_metrics (IFEval) and raw: plain means, times 100
        def rule(means, counts):
            return sum(np.asarray(means[t], dtype=float) for t in means) / len(means) * 100.0
    return rule


def _under(key: str, values: Mapping[str, object]) -> dict:
    """The entries keyed "<key>/<task>", keyed by task."""
    return {t.split("/", 1)[1]: v for t, v in values.items() if t.split("/", 1)[0] == key}


def prefixed_rule(benchmark: Benchmark) -> Rule:
    """The benchmark's rule on task keys "<benchmark key>/<task>" (others ignored)."""
    one = benchmark_rule(benchmark)
    return lambda means, counts: one(_under(benchmark.key, means), _under(benchmark.key, counts))


def average_rule(benchmarks: Sequence[Benchmark]) -> Rule:
    """The plain mean of the benchmarks' scores (those with items); task keys are "<benchmark key>/<task>"."""
    rules = {b.key: prefixed_rule(b) for b in benchmarks}

    def rule(means, counts):
        scores = [one(means, counts) for key, one in rules.items() if _under(key, means)]
        return sum(scores) / len(scores)
    return rule
