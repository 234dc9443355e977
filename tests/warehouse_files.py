"""What the warehouse tests share: the CLI against a home, a table read, and variants of the official
results file (another model, sha, precision, date or IFEval score)."""

from __future__ import annotations

import json

import duckdb
import pytest
from click.testing import CliRunner

from llmboard.cli import main
from tests.conftest import FIXTURES

needs_fixtures = pytest.mark.skipif(not FIXTURES.exists(), reason="../shared/fixtures is not present")


def cli(home, *args):
    result = CliRunner().invoke(main, list(args), env={"LLMBOARD_HOME": str(home)}, catch_exceptions=False)
    return result


def table(home, sql):
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(sql).fetchall()


def official_results() -> dict:
    return json.loads(next((FIXTURES / "results" / "official").rglob("*.json")).read_text())


def results_variant(data: dict, model: str, *, sha: str = "a" * 40, precision: str = "bfloat16",
                    date: float | None = None, ifeval: float | None = None) -> dict:
    """The official results file as if another model, sha or precision had been evaluated."""
    data = json.loads(json.dumps(data))
    data["model_name"] = data["config"]["model_name"] = model
    data["config"]["model_sha"] = data["config"]["model_revision"] = sha
    data["config"]["model_dtype"] = precision
    if date is not None:
        data["date"] = date
    if ifeval is not None:
        data["results"]["leaderboard_ifeval"]["prompt_level_strict_acc,none"] = ifeval
    return data


def write_results(folder, name: str, data: dict):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data))
    return path
