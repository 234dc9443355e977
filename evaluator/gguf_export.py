"""Write a Llama model folder (config.json, model.safetensors, a byte-level BPE tokenizer.json) as GGUF.

The layout llama.cpp's `convert_hf_to_gguf.py` writes for the `llama` architecture: its tensor names,
q/k rows permuted for its rotary embedding, and the tokenizer as a `gpt2` (byte-level BPE) vocabulary
with its merges, so transformers' `gguf_file=` loader reads it back. Meant for the demo's tiny models,
which have no GGUF of their own; 2-D weights are quantized to Q8_0 (or kept F32), norms stay F32.

numpy, safetensors, tokenizers and gguf are imported inside the function.
"""

from __future__ import annotations

import json
from pathlib import Path

_LAYER_TENSORS = {
    "input_layernorm": "attn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "post_attention_layernorm": "ffn_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}


def _gguf_name(name: str) -> str:
    """`model.layers.0.self_attn.q_proj.weight` -> `blk.0.attn_q.weight`."""
    fixed = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
             "lm_head.weight": "output.weight"}
    if name in fixed:
        return fixed[name]
    _, _, layer, rest = name.split(".", 3)
    module, _, kind = rest.rpartition(".")
    return f"blk.{layer}.{_LAYER_TENSORS[module]}.{kind}"


def _permute(w, n_head: int):
    """llama.cpp's q/k row order (interleaved rotary halves)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def export_llama_gguf(folder: Path, out: Path, *, quantize: str = "Q8_0") -> Path:
    """Write `folder`'s Llama model to `out` as GGUF (`quantize`: Q8_0 or F32 for 2-D weights)."""
    import gguf
    import numpy as np
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    folder, out = Path(folder), Path(out)
    config = json.loads((folder / "config.json").read_text())
    if config.get("model_type") != "llama":
        raise ValueError(f"{folder}: only llama models are exported (found {config.get('model_type')!r})")
    n_head, n_kv = config["num_attention_heads"], config.get("num_key_value_heads") or config["num_attention_heads"]
    head_dim = config.get("head_dim") or config["hidden_size"] // n_head
    weights = load_file(folder / "model.safetensors")

    writer = gguf.GGUFWriter(str(out), "llama")
    writer.add_name(folder.name)
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_rope_dimension_count(head_dim)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_kv)
    writer.add_layer_norm_rms_eps(config.get("rms_norm_eps", 1e-6))
    writer.add_rope_freq_base(float((config.get("rope_parameters") or {}).get("rope_theta")
                                    or config.get("rope_theta") or 10000.0))
    writer.add_vocab_size(config["vocab_size"])
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0 if quantize == "Q8_0" else gguf.LlamaFileType.ALL_F32)

    tok = json.loads((folder / "tokenizer.json").read_text())
    if tok["model"]["type"] != "BPE":
        raise ValueError(f"{folder}: only byte-level BPE tokenizers are exported")
    vocab = Tokenizer.from_str(json.dumps(tok)).get_vocab(with_added_tokens=True)
    tokens = [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
    special = {a["content"] for a in tok.get("added_tokens", []) if a.get("special")}
    merges = [m if isinstance(m, str) else " ".join(m) for m in tok["model"]["merges"]]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types([gguf.TokenType.CONTROL if t in special else gguf.TokenType.NORMAL for t in tokens])
    writer.add_token_merges(merges)
    tok_config = json.loads((folder / "tokenizer_config.json").read_text())
    for key, add in (("bos_token", writer.add_bos_token_id), ("eos_token", writer.add_eos_token_id),
                     ("pad_token", writer.add_pad_token_id)):
        if tok_config.get(key) in vocab:
            add(vocab[tok_config[key]])
    writer.add_add_bos_token(True)
    if tok_config.get("chat_template"):
        writer.add_chat_template(tok_config["chat_template"])

    qtype = gguf.GGMLQuantizationType.Q8_0 if quantize == "Q8_0" else gguf.GGMLQuantizationType.F32
    for name, w in weights.items():
        w = w.astype(np.float32)
        if name.endswith("q_proj.weight"):
            w = _permute(w, n_head)
        elif name.endswith("k_proj.weight"):
            w = _permute(w, n_kv)
        if w.ndim == 2 and qtype != gguf.GGMLQuantizationType.F32 and w.shape[1] % 32 == 0:
            writer.add_tensor(_gguf_name(name), gguf.quants.quantize(w, qtype), raw_dtype=qtype)
        else:
            writer.add_tensor(_gguf_name(name), w)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out
