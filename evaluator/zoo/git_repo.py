"""Git for the zoo's model repositories: init, commit everything, list the history.

Every call runs git with a fixed identity and no signing, so no global git config is needed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def run_git(repo: Path, *args: str) -> str:
    """Run git in `repo`; its stdout, stripped. A failing command raises RuntimeError with git's stderr."""
    command = ["git", "-c", "user.name=llmboard zoo", "-c", "user.email=zoo@llmboard.invalid"]
    command += ["-c", "commit.gpgsign=false", *args]
    done = subprocess.run(command, cwd=repo, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {repo}: {done.stderr.strip()}")
    return done.stdout.strip()


def init_repo(repo: Path) -> None:
    """An empty repository on branch `main` (the folder is made when missing)."""
    repo.mkdir(parents=True, exist_ok=True)
    run_git(repo, "init", "-q", "-b", "main")


def commit_all(repo: Path, message: str) -> str:
    """Commit every file of the working tree; the new commit's full sha."""
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", message)
    return run_git(repo, "rev-parse", "HEAD")


def commit_history(repo: Path) -> list[str]:
    """Full shas of the `main` branch, oldest first; empty when `repo` holds no commit."""
    if not (repo / ".git").exists():
        return []
    try:
        return run_git(repo, "rev-list", "--reverse", "main").split()
    except RuntimeError:
        return []
