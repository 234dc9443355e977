"""A model's own code never runs: crafted local repositories whose custom module would leave a marker
file. Each is refused at submission, and even a request that skips the submission checks (written
straight into the request store) fails in the real worker without the marker ever appearing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluator.checks import SubmissionError
from evaluator.requests import Request, RequestStatus, RequestStore
from evaluator.submit import Submission, submit
from evaluator.zoo import make_tiny_model_repo
from evaluator.zoo.git_repo import commit_all

CRAFTS = ("config_auto_map", "tokenizer_auto_map", "custom_model_type", "auto_map_beside_known_type")


def craft(dest: Path, kind: str, marker: Path) -> str:
    """A tiny Llama whose last commit carries remote code that writes `marker` when imported."""
    make_tiny_model_repo(dest, commits=1, license="mit", seed=3)
    code = f"from pathlib import Path\nPath({str(marker)!r}).write_text('remote code ran')\n"
    for name in ("modeling_evil.py", "configuration_evil.py", "tokenization_evil.py", "__init__.py"):
        (dest / name).write_text(code)
    config = json.loads((dest / "config.json").read_text())
    if kind == "config_auto_map":
        config["auto_map"] = {"AutoConfig": "configuration_evil.EvilConfig",
                              "AutoModelForCausalLM": "modeling_evil.EvilForCausalLM"}
    elif kind == "tokenizer_auto_map":
        tok = json.loads((dest / "tokenizer_config.json").read_text())
        tok["auto_map"] = {"AutoTokenizer": ["tokenization_evil.EvilTokenizer", None]}
        (dest / "tokenizer_config.json").write_text(json.dumps(tok))
    elif kind == "custom_model_type":
        config.update(model_type="evil", architectures=["EvilForCausalLM"],
                      auto_map={"AutoModelForCausalLM": "modeling_evil.EvilForCausalLM"})
    elif kind == "auto_map_beside_known_type":  # a Llama config that still points at custom code
        config["auto_map"] = {"AutoModelForCausalLM": "modeling_evil.LlamaForCausalLM"}
    (dest / "config.json").write_text(json.dumps(config))
    return commit_all(dest, f"remote code: {kind}")


@pytest.mark.parametrize("kind", CRAFTS)
def test_remote_code_is_refused_and_never_runs(cfg, tmp_path, kind):
    from evaluator.jobs import enqueue
    from llmboard.workers import run_worker

    marker = tmp_path / "marker"
    repo = tmp_path / "evil"
    sha = craft(repo, kind, marker)
    with pytest.raises(SubmissionError) as err:
        submit(Submission(str(repo), revision=sha, model_id="evil/model"), cfg)
    assert err.value.field in ("config", "tokenizer") and "custom code" in err.value.message

    # Past the checks: a request record written straight into the store, evaluated by a real worker.
    store = RequestStore(cfg.requests_dir)
    req = Request(request_id=Request.make_id("evil/model", sha, "float32", "Original", kind), model="evil/model",
                  revision=sha, sha=sha, precision="float32", source=str(repo))
    store.create(req)
    enqueue(req.request_id, cfg)
    run_worker(cfg, burst=True)
    done = store.load(req.request_id)
    assert done.status == RequestStatus.FAILED and done.failure_kind == "submission", done.failure_reason
    assert not marker.exists(), "the model's own code ran"
