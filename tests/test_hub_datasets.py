"""Fetching the leaderboard's datasets from the hub (warehouse.hub_datasets), tested at the network edge:
huggingface_hub's real client against a small HTTP server on 127.0.0.1 that plays the hub for the calls a
dataset snapshot makes (revision info, the paginated tree listing, HEAD and GET on the resolve endpoint),
serving datasets made from the real sample files in ../shared/fixtures; and against a closed port."""

from __future__ import annotations

import hashlib
import io
import json
import socket
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import duckdb
import polars as pl
import pytest

from tests.conftest import FIXTURES
from tests.fake_hub import QuietHandler, point_hub, serving
from warehouse.hub_datasets import DATASETS, HubDatasetError, dataset_for, fetch
from warehouse.ingest import Writer

pytestmark = pytest.mark.skipif(not FIXTURES.exists(), reason="../shared/fixtures is not present")

COMMIT = "c0ffee" + "0" * 34
PAGE = 3  # tree entries a page: small, so the listing is paginated as the hub's is (1000 there)
EXTRAS = {"README.md": b"# a dataset card\n", ".gitattributes": b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"}


def request_files(dataset: str) -> dict[str, bytes]:
    """The sample request files of one dataset, at their paths in it (org/model_eval_request_*.json)."""
    root = FIXTURES / "requests" / dataset
    return {"/".join(p.relative_to(root).parts[1:]): p.read_bytes() for p in sorted(root.rglob("*.json"))}


def contents_parquet() -> bytes:
    frame = pl.read_csv(FIXTURES / "contents" / "v2_contents_sample.csv")
    out = io.BytesIO()
    frame.drop(frame.columns[0]).write_parquet(out)  # the CSV dump's first column is its pandas index
    return out.getvalue()


def leaderboard_datasets() -> dict[str, dict[str, bytes]]:
    official = FIXTURES / "results" / "official" / "mistralai_Mistral-7B-Instruct-v0.3"
    results = {f"mistralai/Mistral-7B-Instruct-v0.3/{p.name}": p.read_bytes() for p in official.glob("*.json")}
    return {
        "open-llm-leaderboard/contents": {"data/train-00000-of-00001.parquet": contents_parquet(), **EXTRAS},
        "open-llm-leaderboard/requests": {**request_files("open-llm-leaderboard__requests"), **EXTRAS},
        "open-llm-leaderboard/results": {**results, "mistralai/Mistral-7B-Instruct-v0.3/notes.txt": b"x", **EXTRAS},
        "open-llm-leaderboard-old/requests": {**request_files("open-llm-leaderboard-old__requests"), **EXTRAS},
    }


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class FakeHub(ThreadingHTTPServer):
    """Dataset repositories at one commit (branch main); `resolved` keeps (method, repo, file, status) of
    every HEAD and GET on the resolve endpoint; a GET of a file in `broken` is answered 500."""

    def __init__(self, datasets: dict[str, dict[str, bytes]]):
        super().__init__(("127.0.0.1", 0), HubHandler)
        self.datasets = datasets
        self.resolved: list[tuple[str, str, str, int]] = []
        self.broken: set[str] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def tree(self, repo: str) -> list[dict]:
        files = self.datasets[repo]
        folders = sorted({"/".join(p.split("/")[:i]) for p in files for i in range(1, p.count("/") + 1)})
        entries = [{"type": "directory", "oid": git_blob_id(f.encode()), "path": f} for f in folders]
        for path, data in sorted(files.items()):
            entry = {"type": "file", "oid": git_blob_id(data), "size": len(data), "path": path}
            if path.endswith(".parquet"):
                entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
            entries.append(entry)
        return entries

    def served_files(self, method: str = "GET", status: int = 200) -> list[str]:
        return [f for m, _, f, s in self.resolved if m == method and s == status]


class HubHandler(QuietHandler):
    server: FakeHub

    def _json(self, value, headers: dict[str, str] | None = None) -> None:
        self._send(200, json.dumps(value).encode(), {"Content-Type": "application/json", **(headers or {})})

    def _route(self) -> tuple[str, str, str, str]:
        """(endpoint, repo, revision, rest) of /api/datasets/<repo>/<endpoint>/<rev>[/...] or
        /datasets/<repo>/resolve/<rev>/<file>."""
        parts = urlsplit(self.path).path.removeprefix("/api").removeprefix("/").split("/", 5)
        if len(parts) < 5 or parts[0] != "datasets":
            return "", "", "", ""
        return parts[3], f"{parts[1]}/{parts[2]}", unquote(parts[4]), unquote(parts[5]) if len(parts) > 5 else ""

    def _missing(self, repo: str, revision: str) -> bool:
        if repo not in self.server.datasets:
            self._send(404, b'{"error": "Repository not found"}', {"X-Error-Code": "RepoNotFound"})
            return True
        if revision not in ("main", COMMIT):
            self._send(404, b'{"error": "Invalid rev id"}', {"X-Error-Code": "RevisionNotFound"})
            return True
        return False

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        endpoint, repo, revision, rest = self._route()
        if endpoint == "resolve":
            return self._resolve(repo, revision, rest)
        if self._missing(repo, revision):
            return None
        if endpoint == "revision":
            siblings = [{"rfilename": name} for name in sorted(self.server.datasets[repo])]
            return self._json({"id": repo, "sha": COMMIT, "private": False, "siblings": siblings})
        if endpoint == "tree":
            start = int(parse_qs(urlsplit(self.path).query).get("cursor", ["0"])[0])
            entries = self.server.tree(repo)
            page, headers = entries[start:start + PAGE], {}
            if start + PAGE < len(entries):
                headers["Link"] = (f'<{self.server.url}/api/datasets/{repo}/tree/{quote(revision, safe="")}'
                                   f'?recursive=True&expand=False&cursor={start + PAGE}>; rel="next"')
            return self._json(page, headers)
        return self._send(404, b"Not found")

    def do_HEAD(self) -> None:  # noqa: N802
        endpoint, repo, revision, rest = self._route()
        return self._resolve(repo, revision, rest) if endpoint == "resolve" else self._send(404, b"")

    def _resolve(self, repo: str, revision: str, name: str) -> None:
        hub = self.server
        data = hub.datasets.get(repo, {}).get(name)
        if self._missing(repo, revision):
            status = 404
        elif data is None:
            status = 404
            self._send(404, b"Entry not found", {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": COMMIT})
        elif self.command == "GET" and name in hub.broken:
            status = 500
            self._send(500, b'{"error": "Internal Error"}')
        else:
            status = 200
            headers = {"X-Repo-Commit": COMMIT, "ETag": f'"{git_blob_id(data)}"'}
            if name.endswith(".parquet"):  # an LFS file: the hub names its sha256 and size
                headers.update({"X-Linked-Etag": f'"{hashlib.sha256(data).hexdigest()}"',
                                "X-Linked-Size": str(len(data))})
            self._send(200, data, headers)
        hub.resolved.append((self.command, repo, name, status))


@pytest.fixture
def hub_endpoint(monkeypatch, tmp_path):
    """Point huggingface_hub at `url` (it reads HF_ENDPOINT once, at import, into constants.ENDPOINT),
    with its default cache under tmp_path and no bars or offline mode from the environment."""
    from huggingface_hub import constants

    for name in ("HF_HUB_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS", "HF_TOKEN", "TQDM_POSITION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-default-cache"))

    return lambda url: point_hub(monkeypatch, url)


@pytest.fixture
def hub(hub_endpoint):
    with serving(FakeHub(leaderboard_datasets())) as server:
        hub_endpoint(server.url)
        yield server


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_dataset(paths: list[Path]) -> dict[str, bytes]:
    """Fetched files by their path in the dataset (after .../snapshots/<commit>/), with their bytes."""
    return {p.as_posix().split(f"/snapshots/{COMMIT}/", 1)[1]: p.read_bytes() for p in paths}


def table(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(sql).fetchall()


def test_each_kind_and_leaderboard_has_its_dataset():
    assert {(d.kind, d.v1) for d in DATASETS} == {(k, v1) for k in ("contents", "requests", "results")
                                                  for v1 in (False, True)}
    assert dataset_for("requests").repo_id == "open-llm-leaderboard/requests"
    assert dataset_for("results", v1=True).repo_id == "open-llm-leaderboard-old/results"
    with pytest.raises(ValueError, match="unknown kind of leaderboard file 'details'"):
        dataset_for("details")


def test_only_the_importers_files_are_fetched_intact_and_they_import(hub, tmp_path):
    cache = tmp_path / "cache"
    fetched = {kind: fetch(kind, cache_dir=cache, progress=False) for kind in ("contents", "requests", "results")}
    old = fetch("requests", v1=True, cache_dir=cache, progress=False)

    for kind, files in fetched.items():
        served = hub.datasets[dataset_for(kind).repo_id]
        wanted = {name: data for name, data in served.items() if name.endswith((".json", ".parquet"))}
        assert in_dataset(files) == wanted, f"{kind}: every wanted file, byte for byte, and nothing else"
        assert all(str(p).startswith(str(cache)) for p in files)
    assert in_dataset(old) == request_files("open-llm-leaderboard-old__requests")
    asked = {name for _, _, name, _ in hub.resolved}
    assert asked and all(name.endswith((".json", ".parquet")) for name in asked), sorted(asked)
    assert not (tmp_path / "hf-default-cache").exists(), "cache_dir is where everything went"

    home = tmp_path / "home"
    with Writer(home) as w:
        requests = w.import_requests([*fetched["requests"], *old])
        contents = w.import_contents(fetched["contents"][0])
        results = w.import_results(fetched["results"])
    assert (len(requests.loaded), requests.errors) == (len(fetched["requests"]) + len(old), [])
    assert (len(contents.loaded), contents.errors) == (1, [])
    assert (len(results.loaded), results.errors) == (1, [])
    assert table(home, "SELECT count(DISTINCT model_id) FROM requests") == [(len(fetched["requests"]) + len(old),)]
    assert table(home, "SELECT count(*) FROM runs WHERE model_id = 'mistralai/Mistral-7B-Instruct-v0.3'")[0][0] >= 1
    assert table(home, "SELECT count(*) FROM runs")[0][0] >= 250


def test_an_interrupted_fetch_resumes_and_a_cached_one_downloads_nothing(hub, tmp_path):
    cache = tmp_path / "cache"
    names = sorted(n for n in hub.datasets["open-llm-leaderboard/requests"] if n.endswith(".json"))
    hub.broken = {names[-1]}
    with pytest.raises(HubDatasetError) as err:
        fetch("requests", cache_dir=cache, progress=False)
    message = str(err.value)
    assert "\n" not in message and "open-llm-leaderboard/requests could not be fetched" in message
    assert "HTTP 500" in message and "run the command again" in message
    first = hub.served_files()
    assert first and names[-1] not in first, "some files came before the failure, the broken one did not"

    hub.broken, hub.resolved = set(), []
    files = fetch("requests", cache_dir=cache, progress=False)
    assert sorted(in_dataset(files)) == names
    second = hub.served_files()
    assert names[-1] in second and not set(second) & set(first), "only what was missing is downloaded"

    hub.resolved = []
    assert fetch("requests", cache_dir=cache, progress=False) == files
    assert hub.resolved == [], "a cached revision: no file is asked for, not even its headers"


def test_the_progress_bar_shows_unless_hidden(hub, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TQDM_POSITION", "-1")  # huggingface_hub's switch: bars on, even without a terminal
    fetch("requests", cache_dir=tmp_path / "a", progress=False)
    assert capsys.readouterr().err == ""
    fetch("requests", cache_dir=tmp_path / "b")
    wanted = len(request_files("open-llm-leaderboard__requests"))
    assert f"Fetching {wanted} files: 100%" in capsys.readouterr().err


@pytest.mark.parametrize(("kind", "v1", "revision", "fragment"), [
    ("requests", False, "no-such-branch", "revision 'no-such-branch' does not exist in the dataset "
                                          "open-llm-leaderboard/requests on the hub"),
    ("requests", False, "f" * 40, f"revision '{'f' * 40}' does not exist in the dataset"),
    ("contents", True, None, "the dataset open-llm-leaderboard-old/contents was not found on the hub"),
])
def test_unknown_revisions_and_datasets_are_clear_errors(hub, tmp_path, kind, v1, revision, fragment):
    with pytest.raises(HubDatasetError) as err:
        fetch(kind, v1=v1, revision=revision, cache_dir=tmp_path / "cache", progress=False)
    assert fragment in str(err.value) and "\n" not in str(err.value)
    assert hub.served_files() == []


def test_an_unreachable_hub_is_a_clear_error_unless_the_revision_is_cached(hub, hub_endpoint, tmp_path):
    cache = tmp_path / "cache"
    files = fetch("requests", cache_dir=cache, progress=False)
    unreachable = f"http://127.0.0.1:{closed_port()}"
    hub_endpoint(unreachable)
    assert fetch("requests", cache_dir=cache, progress=False) == files, "a complete cached snapshot stands in"

    with pytest.raises(HubDatasetError) as err:
        fetch("results", cache_dir=cache, progress=False)
    message = str(err.value)
    assert "\n" not in message and message.startswith("the dataset open-llm-leaderboard/results could not be "
                                                      f"fetched from the Hugging Face hub ({unreachable}: ")
    assert "check the network connection (or HF_ENDPOINT)" in message and str(cache) in message


def test_offline_mode_serves_the_cache_or_says_what_to_unset(hub, tmp_path, monkeypatch):
    from huggingface_hub import constants

    cache = tmp_path / "cache"
    files = fetch("requests", cache_dir=cache, progress=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    hub.resolved = []
    assert fetch("requests", cache_dir=cache, progress=False) == files
    with pytest.raises(HubDatasetError, match="^HF_HUB_OFFLINE is set and the dataset open-llm-leaderboard/results"
                                              " at main is not completely in the cache"):
        fetch("results", cache_dir=cache, progress=False)
    assert hub.resolved == []


def test_the_cli_imports_the_leaderboard_from_the_hub(hub, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from llmboard.cli import main

    home = tmp_path / "cli-home"
    monkeypatch.setenv("LLMBOARD_HOME", str(home))
    for kind in ("requests", "contents", "results"):
        result = CliRunner().invoke(main, ["import", kind, "--from-hub"])
        assert result.exit_code == 0, result.output
        assert f"{kind}: " in result.output and "error" not in result.output
    assert table(home, "SELECT count(*) FROM runs")[0][0] >= 250
    assert table(home, "SELECT count(*) FROM requests")[0][0] == len(request_files("open-llm-leaderboard__requests"))
    missing = CliRunner().invoke(main, ["import", "requests", "--from-hub", "--revision", "no-such-branch"])
    assert missing.exit_code == 1 and len(missing.output.strip().splitlines()) == 1
    assert "no-such-branch" in missing.output and "Traceback" not in missing.output
