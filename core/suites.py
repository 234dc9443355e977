"""Every suite by name: the leaderboard's v2 and v1 suites and the bundled offline suite."""

from __future__ import annotations

from core.benchmarks import LEADERBOARD_V1, LEADERBOARD_V2, Suite
from core.offline_suite import OFFLINE

# In the order a suite is offered when a warehouse holds several.
SUITES: dict[str, Suite] = {s.name: s for s in (OFFLINE, LEADERBOARD_V2, LEADERBOARD_V1)}


def suite(name: str) -> Suite:
    if name not in SUITES:
        raise KeyError(f"unknown suite {name!r}: accepted values are {', '.join(sorted(SUITES))}")
    return SUITES[name]
