"""The words every layer shares, each declared once: precisions, weight types and model types."""

from __future__ import annotations

# What a worker can evaluate, in the order the submit form offers them.
PRECISIONS = ("float32", "float16", "bfloat16", "8bit", "4bit", "gguf")
# The same precisions as comparisons list them: the reference (float32) first, then by fewer bits.
REFERENCE_ORDER = ("float32", "bfloat16", "float16", "8bit", "4bit", "gguf")
# Precisions an imported leaderboard file may carry besides ours (never evaluated here).
IMPORTED_PRECISIONS = (*PRECISIONS, "GPTQ", "AWQ")
# Bytes of weight memory per parameter, for the quality-against-memory chart.
BYTES_PER_PARAM = {"float32": 4.0, "bfloat16": 2.0, "float16": 2.0, "8bit": 1.0, "4bit": 0.5, "gguf": 0.5625}

WEIGHT_TYPES = ("Original", "Delta", "Adapter")

# A submission's model type is its leaderboard category.
MODEL_TYPES = ("pretrained", "continuously-pretrained", "fine-tuned", "chat", "merge")
CATEGORIES = MODEL_TYPES
# Model types an imported leaderboard file may carry besides ours.
IMPORTED_MODEL_TYPES = (*MODEL_TYPES, "multimodal")
