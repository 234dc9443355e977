"""The demo zoo: real git repositories holding real (tiny) models that transformers loads offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evaluator import zoo
from evaluator.gguf_loading import gguf_loading
from tests.repo_files import card_metadata, file_at, files_at, git


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
    code = "from evaluator.zoo.tiny_llama import tiny_tokenizer_json; print(tiny_tokenizer_json())"
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
    again = zoo.build_zoo(tmp_path, include_smollm2=False, progress=lines.append)
    assert again == models
    assert not any("making" in line for line in lines)


def test_build_zoo_replaces_an_unfinished_repository(tmp_path):
    broken = tmp_path / "demo" / "tiny-llama-base"
    broken.mkdir(parents=True)
    (broken / "half-written").write_text("")
    models = zoo.build_zoo(tmp_path, include_smollm2=False)
    assert len(models[0].shas) == 3
    assert not (broken / "half-written").exists()


@pytest.mark.slow
def test_smollm2_conversion_answers_and_matches_the_gguf(tmp_path_factory):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = tmp_path_factory.mktemp("smol") / "SmolLM2-135M-Instruct"
    shas = zoo.convert_smollm2(path)
    written = (path / "model.safetensors").stat().st_mtime_ns
    assert zoo.convert_smollm2(path) == shas  # cached: the finished conversion is reused, not redone
    assert (path / "model.safetensors").stat().st_mtime_ns == written
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
    with gguf_loading():  # transformers' own GGUF loader, without its repeated work (the same weights, 5x sooner)
        original = AutoModelForCausalLM.from_pretrained(path, gguf_file=zoo.SMOLLM2_GGUF, dtype=torch.float32)
    ids = tokenizer("The capital of France is", return_tensors="pt").input_ids
    with torch.no_grad():
        ours, theirs = converted(ids).logits[0, -1], original(ids).logits[0, -1]
    assert ours.argmax() == theirs.argmax()
    # bf16 rounding of the dequantized weights moves the logits by well under 1% (0.16 of 27 measured)
    assert (ours - theirs).abs().max() < 0.02 * theirs.abs().max()


def test_a_gguf_file_is_read_once_inside_a_load_and_let_go_after(tmp_path):
    import gguf
    import numpy as np

    path = tmp_path / "tiny.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_tensor("token_embd.weight", np.arange(12, dtype=np.float32).reshape(3, 4))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    link = tmp_path / "link.gguf"
    link.symlink_to(path)
    with gguf_loading():
        first = gguf.GGUFReader(path)
        assert gguf.GGUFReader(str(link)) is first  # the config, tokenizer and weights share one read
        assert first.tensors[0].data.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    assert gguf.GGUFReader(path) is not first  # let go: a deleted file's space is not held
