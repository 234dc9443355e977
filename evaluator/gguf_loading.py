"""GGUF loading through transformers, without its slowest waste: its loader builds gguf's tensor-name map anew
for every module of the model (397 times for SmolLM2-135M, ~8 of the 28 s its load took here), though the map
depends only on the architecture and the number of blocks. Each map is built once per process instead."""

from __future__ import annotations

import functools


def cache_tensor_name_maps() -> None:
    """Make ``gguf.get_tensor_name_map`` keep the maps it builds (transformers looks the function up on each
    call, so it finds this one). The maps are only read."""
    import gguf

    if not hasattr(gguf.get_tensor_name_map, "cache_info"):
        gguf.get_tensor_name_map = functools.cache(gguf.get_tensor_name_map)
