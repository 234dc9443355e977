"""Which suites the warehouse holds, and each suite's benchmark columns in leaderboard order."""

from __future__ import annotations

from pathlib import Path

from core.suites import suite as suite_by_name
from warehouse.queries.snapshot import frame

SUITE_ORDER = ("offline", "leaderboard", "leaderboard_v1", "other")


def available_suites(home: Path) -> list[str]:
    """The suites with at least one leaderboard entry: the known ones in SUITE_ORDER, then any other by name."""
    df = frame(home, "SELECT DISTINCT suite FROM leaderboard")
    found = set(df["suite"].to_list()) if df.height else set()
    return [s for s in SUITE_ORDER if s in found] + sorted(found - set(SUITE_ORDER))


def default_suite(home: Path) -> str | None:
    suites = available_suites(home)
    return suites[0] if suites else None


def benchmark_columns(suite: str) -> list[tuple[str, str]]:
    """(key, display name) of the suite's benchmarks, in the leaderboard's column order."""
    try:
        return [(b.key, b.display) for b in suite_by_name(suite).benchmarks]
    except KeyError:
        return []
