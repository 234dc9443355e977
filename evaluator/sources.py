"""Where a model's files come from: a local git repository at a commit, or the Hugging Face hub.

Both give the same view of one pinned revision: its full sha, its file names, the bytes of small
files (config, card, tokenizer config, safetensors headers), and a folder holding the checkout.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from evaluator.checks import SubmissionError, check_revision


class SourceError(SubmissionError):
    """The model or revision cannot be found (or read); `field` says which field, the message why."""


@dataclass(frozen=True)
class CommitInfo:
    """Where a revision stands in its model's history: the commit's date, title and position (1 for
    the first commit); empty where the source cannot tell."""

    date: str | None = None  # ISO 8601
    title: str = ""
    position: int | None = None


@dataclass
class LocalGitSource:
    repo: Path
    sha: str

    kind = "local"

    @classmethod
    def open(cls, repo: str | Path, revision: str) -> LocalGitSource:
        path = Path(repo).expanduser().resolve()
        if not (path / ".git").exists():
            raise SourceError("model", f"{repo} is not a local git repository (expected a folder with .git)")
        revision = check_revision(revision or "HEAD")
        out = subprocess.run(["git", "-C", str(path), "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise SourceError("revision", f"{revision!r} is not a commit or branch of {path} "
                              "(accepted: a full or short commit sha, or a branch name)")
        return cls(path, out.stdout.strip())

    def commit(self) -> CommitInfo:
        """From `git log` and `git rev-list --count` at the pinned sha."""
        log = subprocess.run(["git", "-C", str(self.repo), "log", "-1", "--format=%cI%x1f%s", self.sha],
                             capture_output=True, text=True)
        count = subprocess.run(["git", "-C", str(self.repo), "rev-list", "--count", self.sha],
                               capture_output=True, text=True)
        if log.returncode != 0 or count.returncode != 0:
            return CommitInfo()
        date, _, title = log.stdout.strip().partition("\x1f")
        return CommitInfo(date or None, title, int(count.stdout.strip()))

    def files(self) -> list[str]:
        out = subprocess.run(["git", "-C", str(self.repo), "ls-tree", "-r", "--name-only", self.sha],
                             capture_output=True, text=True, check=True)
        return out.stdout.splitlines()

    def read(self, name: str, limit: int | None = None) -> bytes:
        """The bytes of one file at the pinned commit (the first `limit` bytes if given)."""
        proc = subprocess.Popen(["git", "-C", str(self.repo), "cat-file", "blob", f"{self.sha}:{name}"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        data = proc.stdout.read(limit) if limit else proc.stdout.read()
        proc.stdout.close()
        proc.wait()
        if proc.returncode not in (0, -13, 141) or (proc.returncode != 0 and not data):
            raise FileNotFoundError(name)
        return data

    def size(self, name: str) -> int:
        out = subprocess.run(["git", "-C", str(self.repo), "cat-file", "-s", f"{self.sha}:{name}"],
                             capture_output=True, text=True, check=True)
        return int(out.stdout.strip())

    def blob_sha256(self, name: str) -> str:
        import hashlib

        h = hashlib.sha256()
        proc = subprocess.Popen(["git", "-C", str(self.repo), "cat-file", "blob", f"{self.sha}:{name}"],
                                stdout=subprocess.PIPE)
        for chunk in iter(lambda: proc.stdout.read(1 << 20), b""):
            h.update(chunk)
        proc.wait()
        return h.hexdigest()

    @contextlib.contextmanager
    def checkout(self) -> Iterator[Path]:
        """A detached worktree at the pinned sha (transformers ignores `revision=` for local folders)."""
        folder = Path(tempfile.mkdtemp(prefix="llmboard-checkout-"))
        target = folder / "model"
        subprocess.run(["git", "-C", str(self.repo), "worktree", "add", "--detach", str(target), self.sha],
                       check=True, capture_output=True)
        try:
            head = subprocess.run(["git", "-C", str(target), "rev-parse", "HEAD"], capture_output=True, text=True,
                                  check=True).stdout.strip()
            if head != self.sha:
                raise RuntimeError(f"checkout is at {head}, expected {self.sha}")
            yield target
        finally:
            subprocess.run(["git", "-C", str(self.repo), "worktree", "remove", "--force", str(target)],
                           capture_output=True)
            subprocess.run(["git", "-C", str(self.repo), "worktree", "prune"], capture_output=True)
            import shutil

            shutil.rmtree(folder, ignore_errors=True)


def _network_error(exc: BaseException) -> bool:
    """An HTTP error status, or the HTTP client failing to connect or read (its errors are not OSErrors)."""
    from huggingface_hub.errors import HfHubHTTPError

    return isinstance(exc, HfHubHTTPError | OSError) or type(exc).__module__.split(".")[0] in (
        "httpx", "httpx2", "httpcore", "httpcore2", "h11")


@dataclass
class HubSource:
    """A model on the Hugging Face hub, pinned to the sha its revision resolves to.

    Only metadata and file prefixes are fetched at submission (HTTP range requests on the resolve
    endpoint); the worker's `checkout` downloads the files. The endpoint is huggingface_hub's
    (`HF_ENDPOINT`, read when huggingface_hub is imported)."""

    repo_id: str
    sha: str
    info: object

    kind = "hub"

    @classmethod
    def open(cls, repo_id: str, revision: str) -> HubSource:
        from huggingface_hub import HfApi
        from huggingface_hub.errors import (
            OfflineModeIsEnabled,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )

        revision = check_revision(revision or "main")
        try:
            info = HfApi().model_info(repo_id, revision=revision, files_metadata=True)
        except RevisionNotFoundError:
            raise SourceError("revision", f"{revision!r} does not exist for {repo_id} on the hub "
                                          "(accepted: a commit sha or a branch of the model)") from None
        except RepositoryNotFoundError:
            raise SourceError("model", f"{repo_id} was not found on the hub (is it public?)") from None
        except OfflineModeIsEnabled as exc:
            raise SourceError("model", f"the hub cannot be used to look up {repo_id}: HF_HUB_OFFLINE is set "
                                       f"({exc}); submit a local git repository instead") from None
        except Exception as exc:
            if not _network_error(exc):
                raise
            raise SourceError("model", f"the Hugging Face hub could not be reached to look up {repo_id} "
                                       f"({type(exc).__name__}); try again later, or submit a local git "
                                       "repository") from None
        if not info.sha or not info.siblings:
            raise SourceError("model", f"the hub returned no commit or file list for {repo_id} at {revision!r}")
        return cls(repo_id, info.sha, info)

    def commit(self) -> CommitInfo:
        """From ``HfApi.list_repo_commits`` (newest first) at the pinned sha; empty if the hub cannot
        tell (the submission does not depend on it)."""
        from huggingface_hub import HfApi

        try:
            commits = HfApi().list_repo_commits(self.repo_id, revision=self.sha)
        except Exception as exc:
            if not _network_error(exc):
                raise
            return CommitInfo()
        if not commits:
            return CommitInfo()
        head = commits[0]
        created = getattr(head, "created_at", None)
        return CommitInfo(created.isoformat() if created else None, (head.title or "").strip(), len(commits))

    def files(self) -> list[str]:
        return [s.rfilename for s in (self.info.siblings or [])]

    def _sibling(self, name: str):
        return next(s for s in self.info.siblings if s.rfilename == name)

    def read(self, name: str, limit: int | None = None) -> bytes:
        """The bytes of one file at the pinned sha (only the first `limit` bytes are fetched, if given)."""
        from urllib.parse import quote

        from huggingface_hub import constants
        from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

        headers = build_hf_headers()
        if limit:
            headers["Range"] = f"bytes=0-{limit - 1}"
        url = f"{constants.ENDPOINT}/{self.repo_id}/resolve/{self.sha}/{quote(name)}"
        try:
            response = get_session().get(url, headers=headers, follow_redirects=True, timeout=60)
            hf_raise_for_status(response)
        except Exception as exc:
            if not _network_error(exc):
                raise
            raise SourceError("model", f"{name} could not be read from the hub ({type(exc).__name__}); "
                                       "try again later") from None
        data = response.content
        return data[:limit] if limit else data

    def size(self, name: str) -> int:
        sib = self._sibling(name)
        return sib.lfs.size if sib.lfs is not None and sib.lfs.size else (sib.size or 0)

    def blob_sha256(self, name: str) -> str:
        sib = self._sibling(name)
        if sib.lfs is not None and sib.lfs.sha256:
            return sib.lfs.sha256
        import hashlib

        return hashlib.sha256(self.read(name)).hexdigest()

    @contextlib.contextmanager
    def checkout(self) -> Iterator[Path]:
        from huggingface_hub import snapshot_download

        yield Path(snapshot_download(self.repo_id, revision=self.sha,
                                     allow_patterns=["*.json", "*.safetensors", "*.gguf", "*.model", "*.txt", "*.md"]))


def open_source(model: str, revision: str, local_path: str | None = None) -> LocalGitSource | HubSource:
    if local_path:
        return LocalGitSource.open(local_path, revision)
    return HubSource.open(model, revision)
