"""The demo zoo: real git repositories holding real (tiny) models that transformers loads offline."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evaluator import zoo


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


@pytest.fixture(scope="module")
def chat_repo(tmp_path_factory) -> tuple[Path, list[str]]:
    path = tmp_path_factory.mktemp("zoo") / "tiny-chat"
    shas = zoo.make_tiny_model_repo(
        path, commits=3, chat_template=True, model_type_tag="chat", seed=7, base_model="demo/tiny-llama-base"
    )
    return path, shas


def test_each_commit_has_different_weights(chat_repo):
    from safetensors.torch import load

    path, shas = chat_repo
    assert len(shas) == 3 and all(len(sha) == 40 for sha in shas)
    assert git(path, "rev-list", "--reverse", "main").split() == shas
    assert git(path, "branch", "--show-current").strip() == "main"
    first, last = (load(file_at(path, sha, "model.safetensors")) for sha in (shas[0], shas[-1]))
    assert first.keys() == last.keys()
    name = "model.layers.0.self_attn.q_proj.weight"
    assert first[name].shape == last[name].shape
    assert not (first[name] == last[name]).all()
    assert file_at(path, shas[0], "config.json") == file_at(path, shas[-1], "config.json")


def test_loads_offline_and_generates(chat_repo):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path, _ = chat_repo
    assert {"model.safetensors", "config.json", "generation_config.json", "tokenizer.json"} <= set(
        p.name for p in path.iterdir()
    )
    model = AutoModelForCausalLM.from_pretrained(path, trust_remote_code=False)
    tokenizer = AutoTokenizer.from_pretrained(path)
    text = "What is 2+2? It's 4, naïvely (50%)!"
    ids = tokenizer(text, return_tensors="pt")
    assert ids.input_ids[0, 0].item() == tokenizer.bos_token_id
    assert tokenizer.decode(ids.input_ids[0], skip_special_tokens=True) == text
    assert model.config.vocab_size == len(tokenizer)
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=6, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    assert out.shape[1] == ids.input_ids.shape[1] + 6


def test_chat_template_renders(chat_repo):
    from transformers import AutoTokenizer

    path, _ = chat_repo
    tokenizer = AutoTokenizer.from_pretrained(path)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}], add_generation_prompt=True, tokenize=False
    )
    assert prompt == "<|bos|><|user|>\nhi<|eos|>\n<|assistant|>\n"


def test_card_front_matter(chat_repo):
    path, _ = chat_repo
    meta = card_metadata((path / "README.md").read_text())
    assert meta["license"] == "apache-2.0"
    assert meta["base_model"] == "demo/tiny-llama-base"
    assert meta["pipeline_tag"] == "text-generation"
    assert "chat" in meta["tags"]


def test_tokenizer_is_deterministic(tmp_path):
    zoo.make_tiny_model_repo(tmp_path / "a", commits=1, seed=1)
    code = "from evaluator import zoo; print(zoo._tiny_tokenizer_json())"
    fresh = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).parents[1],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert fresh == (tmp_path / "a" / "tokenizer.json").read_text()


def test_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("x")
    with pytest.raises(FileExistsError):
        zoo.make_tiny_model_repo(tmp_path / "taken")


def test_build_zoo_covers_the_categories_and_is_idempotent(tmp_path):
    lines: list[str] = []
    models = zoo.build_zoo(tmp_path, include_smollm2=False, progress=lines.append)
    assert {m.model_type for m in models} == {"pretrained", "fine-tuned", "chat", "merge"}
    assert len({m.model_id for m in models}) == len(models) >= 6
    assert all(len(m.shas) >= 3 and m.path == tmp_path / m.model_id for m in models)
    assert len({m.shas[0] for m in models}) == len(models)
    assert all(m.use_chat_template == (m.model_type == "chat") for m in models)
    weights = {(m.path / "model.safetensors").read_bytes() for m in models}
    assert len(weights) == len(models)  # a different seed per model
    assert any("demo/tiny-llama-base" in line for line in lines)

    lines.clear()
    started = time.monotonic()
    again = zoo.build_zoo(tmp_path, include_smollm2=False, progress=lines.append)
    assert time.monotonic() - started < 1
    assert again == models
    assert not any("making" in line for line in lines)


def test_build_zoo_replaces_an_unfinished_repository(tmp_path):
    broken = tmp_path / "demo" / "tiny-llama-base"
    broken.mkdir(parents=True)
    (broken / "half-written").write_text("")
    models = zoo.build_zoo(tmp_path, include_smollm2=False)
    assert len(models[0].shas) == 3
    assert not (broken / "half-written").exists()


@pytest.fixture(scope="module")
def bad_repos(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    root = tmp_path_factory.mktemp("bad")
    return {kind: (root / kind, zoo.make_bad_repo(root / kind, kind)) for kind in zoo.BAD_REPO_KINDS}


def test_bad_repo_kind_is_checked(tmp_path):
    with pytest.raises(ValueError, match="unknown bad repo kind"):
        zoo.make_bad_repo(tmp_path / "x", "sneaky")


@pytest.mark.parametrize("kind", zoo.BAD_REPO_KINDS)
def test_bad_repo_has_its_defect_and_no_other(bad_repos, kind):
    path, sha = bad_repos[kind]
    assert git(path, "rev-parse", "HEAD").strip() == sha
    files = files_at(path, sha)
    assert ("README.md" in files) == (kind != "no_card")
    assert ("model.safetensors" in files) == (kind != "pickle_weights")
    if kind != "no_card":
        meta = card_metadata(file_at(path, sha, "README.md").decode())
        assert ("license" in meta) == (kind != "no_license")
    tokenizer_config = json.loads(file_at(path, sha, "tokenizer_config.json"))
    assert ("chat_template" in tokenizer_config) == (kind != "no_chat_template")
    config = json.loads(file_at(path, sha, "config.json"))
    assert ("auto_map" in config) == (kind == "auto_map")


def test_auto_map_repo_ships_remote_code(bad_repos):
    path, sha = bad_repos["auto_map"]
    config = json.loads(file_at(path, sha, "config.json"))
    module = config["auto_map"]["AutoModelForCausalLM"].split(".")[0]
    assert f"{module}.py" in files_at(path, sha)


def test_unknown_model_type_is_unknown_to_transformers(bad_repos):
    from transformers import AutoConfig

    path, _ = bad_repos["unknown_model_type"]
    with pytest.raises(ValueError):
        AutoConfig.from_pretrained(path)


def test_not_causal_has_no_causal_lm_class(bad_repos):
    from transformers import AutoConfig, AutoModelForCausalLM

    path, _ = bad_repos["not_causal"]
    assert AutoConfig.from_pretrained(path).is_encoder_decoder is False
    with pytest.raises(ValueError):
        AutoModelForCausalLM.from_pretrained(path)


def test_pickle_weights_are_a_torch_pickle(bad_repos):
    import zipfile

    path, _ = bad_repos["pickle_weights"]
    assert zipfile.is_zipfile(path / "pytorch_model.bin")  # torch.save's format: a zip holding a pickle
    assert not list(path.glob("*.safetensors"))


def test_corrupt_safetensors_do_not_open(bad_repos):
    from safetensors.torch import load_file

    path, _ = bad_repos["corrupt_safetensors"]
    with pytest.raises(Exception):  # noqa: B017 -- safetensors raises its own SafetensorError
        load_file(path / "model.safetensors")


def test_no_chat_template_repo_claims_to_be_chat(bad_repos):
    from transformers import AutoTokenizer

    path, _ = bad_repos["no_chat_template"]
    assert "chat" in card_metadata((path / "README.md").read_text())["tags"]
    assert AutoTokenizer.from_pretrained(path).chat_template is None


@pytest.mark.slow
def test_smollm2_conversion_answers_and_matches_the_gguf(tmp_path_factory):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = tmp_path_factory.mktemp("smol") / "SmolLM2-135M-Instruct"
    shas = zoo.convert_smollm2(path)
    started = time.monotonic()
    assert zoo.convert_smollm2(path) == shas and time.monotonic() - started < 1  # cached
    files = files_at(path, shas[0])
    assert {"model.safetensors", "config.json", "tokenizer.json", zoo.SMOLLM2_GGUF} <= files
    meta = card_metadata((path / "README.md").read_text())
    assert meta["license"] == "apache-2.0"
    assert "dequantized Q4_1" in (path / "README.md").read_text()

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, trust_remote_code=False)
    assert model.dtype == torch.bfloat16
    assert tokenizer.chat_template is not None
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is 2+2?"}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    with torch.no_grad():
        out = model.generate(**prompt, max_new_tokens=24, do_sample=False)
    reply = tokenizer.decode(out[0, prompt["input_ids"].shape[1] :], skip_special_tokens=True)
    assert any(ch.isdigit() for ch in reply), reply

    converted = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    original = AutoModelForCausalLM.from_pretrained(path, gguf_file=zoo.SMOLLM2_GGUF, dtype=torch.float32)
    ids = tokenizer("The capital of France is", return_tensors="pt").input_ids
    with torch.no_grad():
        ours, theirs = converted(ids).logits[0, -1], original(ids).logits[0, -1]
    assert ours.argmax() == theirs.argmax()
    # bf16 rounding of the dequantized weights moves the logits by well under 1% (0.16 of 27 measured)
    assert (ours - theirs).abs().max() < 0.02 * theirs.abs().max()
