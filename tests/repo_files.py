"""Reading a model repository at a commit (its files, its card's front matter), for the zoo's tests."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def file_at(repo: Path, sha: str, name: str) -> bytes:
    return subprocess.run(["git", "show", f"{sha}:{name}"], cwd=repo, capture_output=True, check=True).stdout


def files_at(repo: Path, sha: str) -> set[str]:
    return set(git(repo, "ls-tree", "--name-only", sha).split())


def card_metadata(card: str) -> dict:
    """The YAML front matter of a model card."""
    import yaml

    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n")[1]) or {}
