"""The suite itself: no test sleeps to synchronise; each waits for a condition (tests.conftest.wait_for,
whose poll interval is the one sleep allowed)."""

from __future__ import annotations

import ast

from tests.conftest import REPO


def is_sleep(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and "sleep" in (getattr(node.func, "attr", None), getattr(node.func, "id", None))


def sleeps(source: str) -> list[int]:
    """The lines of every call to a function named sleep (time.sleep, asyncio.sleep, a bare sleep),
    outside a function named wait_for."""
    tree = ast.parse(source)
    allowed = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "wait_for"
               for n in ast.walk(f)}
    return [n.lineno for n in ast.walk(tree) if is_sleep(n) and id(n) not in allowed]


def test_no_test_sleeps_to_synchronise():
    found = {path.name: sleeps(path.read_text()) for path in sorted((REPO / "tests").glob("*.py"))}
    assert {name: lines for name, lines in found.items() if lines} == {}


def test_the_check_finds_a_sleep():
    assert sleeps("import time\ntime.sleep(1)\n") == [2]
    assert sleeps("from time import sleep\n\ndef f():\n    sleep(2)\n") == [4]
    assert sleeps("def wait_for():\n    time.sleep(0.2)\n") == []
