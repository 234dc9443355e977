"""The defect factory (tests/defects.py): each bad repository has its one defect and no other."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.defects import BAD_REPO_KINDS, make_bad_repo
from tests.repo_files import card_metadata, file_at, files_at, git


@pytest.fixture(scope="module")
def bad_repos(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    root = tmp_path_factory.mktemp("bad")
    return {kind: (root / kind, make_bad_repo(root / kind, kind)) for kind in BAD_REPO_KINDS}


def test_bad_repo_kind_is_checked(tmp_path):
    with pytest.raises(ValueError, match="unknown bad repo kind"):
        make_bad_repo(tmp_path / "x", "sneaky")


@pytest.mark.parametrize("kind", BAD_REPO_KINDS)
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
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path, _ = bad_repos["corrupt_safetensors"]
    with pytest.raises(SafetensorError):
        load_file(path / "model.safetensors")


def test_no_chat_template_repo_claims_to_be_chat(bad_repos):
    from transformers import AutoTokenizer

    path, _ = bad_repos["no_chat_template"]
    assert "chat" in card_metadata((path / "README.md").read_text())["tags"]
    assert AutoTokenizer.from_pretrained(path).chat_template is None
