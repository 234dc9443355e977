"""The Open LLM Leaderboard's public datasets on the Hugging Face hub, fetched for import.

`fetch("requests")` downloads the files the importer reads from one of the leaderboard's datasets
(`DATASETS`) and returns their local paths; `llmboard import ... --from-hub` hands those to the ingest
writer. huggingface_hub does the work: only the files matching the dataset's patterns are downloaded
(the contents table's parquet files, the requests' and results' JSON files), into huggingface_hub's
cache (or `cache_dir`), file by file, so a fetch that was interrupted downloads only what is
still missing when it is run again, and a fetch of a revision already in the cache downloads nothing.
When the hub cannot be reached, a revision whose files are all cached is served from the cache.

The hub is huggingface_hub's endpoint (`HF_ENDPOINT`, read when huggingface_hub is imported).
Every failure the caller can act on is one `HubDatasetError` with a one-line message."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

KINDS = ("contents", "requests", "results")


class HubDataset(NamedTuple):
    """One of the leaderboard's datasets: which kind of file it holds, for which leaderboard, and
    the patterns (fnmatch, on paths inside the dataset) of the files the importer reads."""

    kind: str  # one of KINDS
    v1: bool  # the 2023 leaderboard (open-llm-leaderboard-old) rather than v2
    repo_id: str  # a dataset repository on the hub
    patterns: tuple[str, ...]


DATASETS: tuple[HubDataset, ...] = (
    HubDataset("contents", False, "open-llm-leaderboard/contents", ("*.parquet",)),
    HubDataset("requests", False, "open-llm-leaderboard/requests", ("*.json",)),
    HubDataset("results", False, "open-llm-leaderboard/results", ("*.json",)),
    HubDataset("contents", True, "open-llm-leaderboard-old/contents", ("*.parquet",)),
    HubDataset("requests", True, "open-llm-leaderboard-old/requests", ("*.json",)),
    HubDataset("results", True, "open-llm-leaderboard-old/results", ("*.json",)),
)


class HubDatasetError(Exception):
    """A dataset could not be fetched; the message is one line saying why and what to do."""


def dataset_for(kind: str, *, v1: bool = False) -> HubDataset:
    """The dataset holding `kind` files (one of KINDS) of the v2 leaderboard, or of v1."""
    for dataset in DATASETS:
        if dataset.kind == kind and dataset.v1 == v1:
            return dataset
    raise ValueError(f"unknown kind of leaderboard file {kind!r}; expected one of {', '.join(KINDS)}")


def fetch(kind: str, *, v1: bool = False, revision: str | None = None, cache_dir: Path | None = None,
          progress: bool = True) -> list[Path]:
    """Download the `kind` files (contents, requests or results) of the leaderboard's dataset at
    `revision` (a branch, tag or commit of the dataset; main when None) and return their local paths,
    sorted. Files already in the cache are not downloaded again. `progress=False` hides the bars.

    The paths lie in the cache's snapshot of that commit (`.../snapshots/<commit>/<path in the
    dataset>`), so their names are the dataset's own. Raises HubDatasetError."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.utils import filter_repo_objects

    dataset = dataset_for(kind, v1=v1)
    try:
        folder = Path(snapshot_download(
            dataset.repo_id, repo_type="dataset", revision=revision, cache_dir=cache_dir,
            allow_patterns=list(dataset.patterns), tqdm_class=None if progress else _silent_bars()))
    except Exception as exc:
        explained = _explained(exc, dataset, revision, cache_dir)
        if explained is exc:
            raise
        raise explained from exc
    names = {path.relative_to(folder).as_posix(): path for path in folder.rglob("*") if path.is_file()}
    files = sorted(names[name] for name in filter_repo_objects(names, allow_patterns=list(dataset.patterns)))
    if not files:
        raise HubDatasetError(f"the dataset {dataset.repo_id} at {revision or 'main'} has no files matching "
                              f"{', '.join(dataset.patterns)}; is it the right revision?")
    return files


def _silent_bars() -> type:
    """huggingface_hub's progress bar class, always hidden (passed as snapshot_download's tqdm_class)."""
    from huggingface_hub.utils import tqdm

    class SilentBar(tqdm):
        def __init__(self, *args, **kwargs) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

    return SilentBar


def _explained(exc: Exception, dataset: HubDataset, revision: str | None, cache_dir: Path | None) -> Exception:
    """A HubDatasetError for what the caller can act on; anything else (a bug) as it was."""
    from huggingface_hub import constants
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    repo, endpoint = dataset.repo_id, constants.ENDPOINT
    cache = cache_dir or constants.HF_HUB_CACHE
    if isinstance(exc, RevisionNotFoundError):
        return HubDatasetError(f"revision {revision!r} does not exist in the dataset {repo} on the hub "
                               f"({endpoint}); give one of its branches, tags or commits, or no revision for main")
    if isinstance(exc, RepositoryNotFoundError):
        return HubDatasetError(f"the dataset {repo} was not found on the hub ({endpoint}); check HF_ENDPOINT, "
                               "or the dataset may have been removed or made private")
    if constants.is_offline_mode() and isinstance(exc, OSError):
        return HubDatasetError(f"HF_HUB_OFFLINE is set and the dataset {repo} at {revision or 'main'} is not "
                               f"completely in the cache ({cache}); unset HF_HUB_OFFLINE to fetch it")
    if _network_error(exc):
        return HubDatasetError(f"the dataset {repo} could not be fetched from the Hugging Face hub ({endpoint}: "
                               f"{_reason(exc)}); check the network connection (or HF_ENDPOINT) and run the command "
                               f"again: the files already fetched are kept in the cache ({cache})")
    return exc


def _network_error(exc: BaseException) -> bool:
    """An HTTP error status, a cache that cannot stand in for the hub, or the HTTP client failing to
    connect or read (its errors are not OSErrors)."""
    return isinstance(exc, OSError) or type(exc).__module__.split(".")[0] in (
        "httpx", "httpx2", "httpcore", "httpcore2", "h11")


def _reason(exc: BaseException) -> str:
    """The root of the failure in a few words: the HTTP status, or the name of the client's error."""
    root = exc
    while root.__cause__ is not None:
        root = root.__cause__
    response = getattr(root, "response", None)
    status = getattr(response, "status_code", None)
    return f"HTTP {status}" if status else type(root).__name__
