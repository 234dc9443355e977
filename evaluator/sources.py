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


class SourceError(ValueError):
    """The model or revision cannot be found; the message says which field and why."""


@dataclass
class LocalGitSource:
    repo: Path
    sha: str

    kind = "local"

    @classmethod
    def open(cls, repo: str | Path, revision: str) -> LocalGitSource:
        path = Path(repo).expanduser().resolve()
        if not (path / ".git").exists():
            raise SourceError(f"model: {repo} is not a local git repository (expected a folder with .git)")
        revision = revision or "HEAD"
        if revision.startswith("-"):
            raise SourceError(f"revision: {revision!r} is not a commit sha or branch name")
        out = subprocess.run(["git", "-C", str(path), "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise SourceError(f"revision: {revision!r} is not a commit or branch of {path} "
                              "(accepted: a full or short commit sha, or a branch name)")
        return cls(path, out.stdout.strip())

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


@dataclass
class HubSource:
    """A model on the Hugging Face hub, pinned to the sha its revision resolves to."""

    repo_id: str
    sha: str
    info: object

    kind = "hub"

    @classmethod
    def open(cls, repo_id: str, revision: str) -> HubSource:
        from huggingface_hub import HfApi
        from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

        try:
            info = HfApi().model_info(repo_id, revision=revision or "main", files_metadata=True)
        except RevisionNotFoundError:
            raise SourceError(f"revision: {revision!r} does not exist for {repo_id} on the hub") from None
        except RepositoryNotFoundError:
            raise SourceError(f"model: {repo_id} was not found on the hub (is it public?)") from None
        except (HfHubHTTPError, OSError) as exc:
            raise SourceError(f"model: the Hugging Face hub could not be reached to look up {repo_id} "
                              f"({type(exc).__name__}); try again later, or submit a local git repository") from None
        return cls(repo_id, info.sha, info)

    def files(self) -> list[str]:
        return [s.rfilename for s in (self.info.siblings or [])]

    def read(self, name: str, limit: int | None = None) -> bytes:
        from huggingface_hub import hf_hub_download

        path = hf_hub_download(self.repo_id, name, revision=self.sha)
        with open(path, "rb") as fh:
            return fh.read(limit) if limit else fh.read()

    def size(self, name: str) -> int:
        return next((s.size or 0) for s in self.info.siblings if s.rfilename == name)

    def blob_sha256(self, name: str) -> str:
        sib = next(s for s in self.info.siblings if s.rfilename == name)
        if sib.lfs is not None:
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
