"""GGUF loading through transformers, without its two slowest wastes, both pure repetition:

- its loader builds gguf's tensor-name map anew for every module of the model (397 times for SmolLM2-135M),
  though the map depends only on the architecture and the number of blocks;
- it parses the file's header (SmolLM2's holds a 49k-token vocabulary: ~5 s) again for the config, the
  tokenizer and the weights.

Inside ``gguf_loading()`` each happens once: SmolLM2's model load went from 24.4 to 4-5.5 s here."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator


@contextlib.contextmanager
def gguf_loading() -> Iterator[None]:
    """Inside the block, ``gguf.get_tensor_name_map`` keeps the maps it builds (for the process: they are small)
    and ``gguf.GGUFReader`` reads each file once, known by the file itself (a link to it finds it too), its size
    and modification time. transformers looks both up on each call, so it finds these; what they return is only
    read. The files are let go when the block ends: a reader maps its file, which would keep a deleted
    worktree's GGUF on disk."""
    import gguf

    if not hasattr(gguf.get_tensor_name_map, "cache_info"):
        gguf.get_tensor_name_map = functools.cache(gguf.get_tensor_name_map)
    plain = gguf.GGUFReader
    kept: dict[tuple, object] = {}

    def reader(path: str | os.PathLike, mode: str = "r") -> object:
        stat = os.stat(path)
        key = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, mode)
        if key not in kept:
            kept[key] = plain(path, mode)
        return kept[key]

    gguf.GGUFReader = reader
    try:
        yield
    finally:
        gguf.GGUFReader = plain
        kept.clear()
