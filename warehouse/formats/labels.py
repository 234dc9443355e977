"""The leaderboard's labels for model types and precisions, mapped onto our vocabulary
(core.vocabulary.IMPORTED_MODEL_TYPES and IMPORTED_PRECISIONS), and our model types' labels in the
published contents table."""

from __future__ import annotations

import re

from core.vocabulary import IMPORTED_PRECISIONS

# Emoji and words used for model types by the v1 and v2 leaderboards (requests and contents table).
_MODEL_TYPE_SYMBOLS = {
    "🟢": "pretrained",
    "🟩": "continuously-pretrained",
    "🔶": "fine-tuned",
    "💬": "chat",
    "⭕": "chat",
    "🟦": "chat",
    "🤝": "merge",
    "🌸": "multimodal",
}
_MODEL_TYPE_WORDS = (  # checked in order against the label's text, lower-cased
    ("continuously pretrained", "continuously-pretrained"),
    ("continuously-pretrained", "continuously-pretrained"),
    ("pretrained", "pretrained"),
    ("fine-tuned", "fine-tuned"),
    ("finetuned", "fine-tuned"),
    ("chat", "chat"),
    ("instruction-tuned", "chat"),
    ("rl-tuned", "chat"),
    ("merge", "merge"),
    ("multimodal", "multimodal"),
)
# The contents table's "Type" labels (leaderboard v2, src/display/utils.py), for export.
CONTENTS_TYPE_LABELS = {
    "pretrained": "🟢 pretrained",
    "continuously-pretrained": "🟩 continuously pretrained",
    "fine-tuned": "🔶 fine-tuned on domain-specific datasets",
    "chat": "💬 chat models (RLHF, DPO, IFT, ...)",
    "merge": "🤝 base merges and moerges",
    "multimodal": "🌸 multimodal",
}


def normalize_model_type(label: str | None) -> str | None:
    """Map a leaderboard model-type label ("🔶 : fine-tuned", "💬 chat models (RLHF, DPO, IFT, ...)",
    "pretrained", "⭕ : instruction-tuned") to one of core.vocabulary.IMPORTED_MODEL_TYPES; None for
    empty labels and for labels that are not model types (the leaderboard sometimes stored an
    architecture, e.g. "qwen2")."""
    if label is None:
        return None
    text = label.strip()
    if not text:
        return None
    words = text.lower()
    for symbol, kind in _MODEL_TYPE_SYMBOLS.items():
        if words.startswith(symbol):
            return kind
    for word, kind in _MODEL_TYPE_WORDS:
        if re.search(rf"(^|[^a-z-]){re.escape(word)}", words):
            return kind
    return None


_PRECISION_ALIASES = {
    **{precision.lower(): precision for precision in IMPORTED_PRECISIONS},  # "gptq" → "GPTQ"
    "fp16": "float16",
    "half": "float16",
    "f16": "float16",
    "bf16": "bfloat16",
    "fp32": "float32",
    "float": "float32",
    "f32": "float32",
    "int8": "8bit",
    "load_in_8bit": "8bit",
    "int4": "4bit",
    "load_in_4bit": "4bit",
    "nf4": "4bit",
}


def normalize_precision(value: str | None) -> str | None:
    """``torch.bfloat16`` / ``bf16`` → ``bfloat16`` etc. (see core.vocabulary.IMPORTED_PRECISIONS);
    unknown values are kept as given."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    key = text.lower().removeprefix("torch.")
    return _PRECISION_ALIASES.get(key, text)
