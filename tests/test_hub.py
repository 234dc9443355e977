"""Hub submissions, tested at the network edge: huggingface_hub's real client against a closed port, and
against a small HTTP server on 127.0.0.1 that plays the hub's API (only what HubSource calls)."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
from http.server import ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

from evaluator.checks import SubmissionError
from evaluator.queue import connect, evaluation_queue
from evaluator.requests import RequestStatus
from evaluator.submit import Submission, submit
from tests.fake_hub import QuietHandler, point_hub, serving

FILES = ("config.json", "README.md", "tokenizer_config.json", "tokenizer.json", "model.safetensors")
LFS = ("model.safetensors",)


class FakeHub(ThreadingHTTPServer):
    """One model repository, `org/model`: branch main at `sha`; what it served is kept in `served`."""

    def __init__(self, repo_id: str, sha: str, files: dict[str, bytes], license: str):
        super().__init__(("127.0.0.1", 0), HubHandler)
        self.repo_id, self.sha, self.files, self.license = repo_id, sha, files, license
        self.served: list[tuple[str, int]] = []  # (path, bytes sent)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def model_info(self) -> dict:
        siblings = []
        for name, data in self.files.items():
            sib = {"rfilename": name, "size": len(data), "blobId": hashlib.sha1(data).hexdigest()}
            if name in LFS:
                sib["lfs"] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
            siblings.append(sib)
        return {"id": self.repo_id, "modelId": self.repo_id, "sha": self.sha, "private": False,
                "siblings": siblings, "cardData": {"license": self.license}, "tags": ["llama"]}


class HubHandler(QuietHandler):
    server: FakeHub

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        super()._send(status, body, headers)
        self.server.served.append((urlsplit(self.path).path, len(body)))

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        hub, path = self.server, unquote(urlsplit(self.path).path)
        api = f"/api/models/{hub.repo_id}/revision/"
        if path.startswith("/api/models/") and not path.startswith(api):
            return self._send(404, b'{"error": "Repository not found"}', {"X-Error-Code": "RepoNotFound"})
        if path.startswith(api):
            if path[len(api):] not in ("main", hub.sha):
                return self._send(404, b'{"error": "Invalid rev id"}', {"X-Error-Code": "RevisionNotFound"})
            return self._send(200, json.dumps(hub.model_info()).encode(), {"Content-Type": "application/json"})
        prefix = f"/{hub.repo_id}/resolve/{hub.sha}/"
        name = path[len(prefix):]
        if not path.startswith(prefix) or name not in hub.files:
            return self._send(404, b"Entry not found", {"X-Error-Code": "EntryNotFound"})
        data = hub.files[name]
        ranged = self.headers.get("Range", "")
        if ranged.startswith("bytes="):
            start, _, end = ranged[len("bytes="):].partition("-")
            last = min(int(end) if end else len(data) - 1, len(data) - 1)
            return self._send(206, data[int(start): last + 1],
                              {"Content-Range": f"bytes {start}-{last}/{len(data)}"})
        return self._send(200, data)


@pytest.fixture
def hub_endpoint(monkeypatch):
    """Point huggingface_hub at `url`: it reads HF_ENDPOINT once, at import, into constants.ENDPOINT."""
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)

    return lambda url: point_hub(monkeypatch, url)


@pytest.fixture
def fake_hub(tiny_repo, hub_endpoint):
    repo, shas = tiny_repo
    files = {name: subprocess.run(["git", "-C", str(repo), "show", f"{shas[-1]}:{name}"], capture_output=True,
                                  check=True).stdout for name in FILES}
    with serving(FakeHub("org/model", "f" * 40, files, "apache-2.0")) as server:
        hub_endpoint(server.url)
        yield server


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_hub_is_a_clear_refusal(cfg, hub_endpoint):
    hub_endpoint(f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(SubmissionError) as err:
        submit(Submission("org/model"), cfg)
    assert err.value.field == "model"
    assert "the Hugging Face hub could not be reached to look up org/model" in err.value.message
    assert "submit a local git repository" in err.value.message
    assert not list(cfg.requests_dir.glob("*.json"))

    from llmboard.cli import main

    out = CliRunner().invoke(main, ["submit", "org/model"])
    assert out.exit_code == 1 and out.exception is not None and isinstance(out.exception, SystemExit)
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: submission refused: model: the Hugging Face hub"), lines


def test_offline_mode_is_a_clear_refusal(cfg, hub_endpoint, monkeypatch):
    from huggingface_hub import constants

    hub_endpoint(f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(SubmissionError) as err:
        submit(Submission("org/model"), cfg)
    assert err.value.field == "model" and "HF_HUB_OFFLINE is set" in err.value.message


def test_a_hub_model_is_checked_and_stored_with_the_hubs_sha_and_fingerprint(cfg, fake_hub, tiny_repo):
    req = submit(Submission("org/model", revision="main", model_type="pretrained"), cfg)
    weights = fake_hub.files["model.safetensors"]
    assert (req.model, req.sha, req.source, req.status) == ("org/model", "f" * 40, "hub", RequestStatus.PENDING)
    assert req.fingerprint == {"model.safetensors": hashlib.sha256(weights).hexdigest()}
    assert (req.license, req.architectures) == ("apache-2.0", "LlamaForCausalLM")
    local = submit(Submission(str(tiny_repo[0]), model_id="demo/tiny-base"), cfg)
    assert req.params == local.params > 0, "the same parameter count as from the local repository"
    assert evaluation_queue(connect(cfg.redis_url)).get_job_ids() == [req.job_id, local.job_id]
    weight_bytes = sum(n for path, n in fake_hub.served if path.endswith("/model.safetensors"))
    assert 0 < weight_bytes < len(weights) / 4, "only the safetensors header is fetched at submission"
    assert local.copy_of == "org/model", "the same weights under another name are noticed across sources"


@pytest.mark.parametrize(("model", "revision", "field", "fragment"), [
    ("org/missing", "main", "model", "org/missing was not found on the hub"),
    ("org/model", "no-such-branch", "revision", "'no-such-branch' does not exist for org/model on the hub"),
])
def test_unknown_hub_models_and_revisions_are_refused(cfg, fake_hub, model, revision, field, fragment):
    with pytest.raises(SubmissionError) as err:
        submit(Submission(model, revision=revision), cfg)
    assert err.value.field == field and fragment in err.value.message
    assert not list(cfg.requests_dir.glob("*.json"))


def test_hub_defects_are_refused_like_local_ones(cfg, fake_hub):
    weights = fake_hub.files["model.safetensors"]
    fake_hub.files["model.safetensors"] = weights[: len(weights) // 2]
    with pytest.raises(SubmissionError) as err:
        submit(Submission("org/model"), cfg)
    assert err.value.field == "weights" and "model.safetensors is truncated" in err.value.message

    fake_hub.files["model.safetensors"] = weights
    fake_hub.files["README.md"] = b"---\ntags: [x]\n---\n# no license in the card\n"
    with pytest.raises(SubmissionError) as err:
        submit(Submission("org/model"), cfg)
    assert err.value.field == "license"
    assert not list(cfg.requests_dir.glob("*.json"))
