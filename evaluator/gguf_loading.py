"""GGUF loading through transformers, without its two slowest wastes, both pure repetition:

- its loader builds gguf's tensor-name map anew for every module of the model (397 times for SmolLM2-135M),
  though the map depends only on the architecture and the number of blocks;
- it parses the file's header (SmolLM2's holds a 49k-token vocabulary: ~5 s) again for the config, the
  tokenizer and the weights.

``fast_gguf_loading`` makes each happen once per process: SmolLM2's model load went from 24.5 to 11 s here."""

from __future__ import annotations

import functools
import os


def fast_gguf_loading() -> None:
    """Make ``gguf.get_tensor_name_map`` keep the maps it builds, and ``gguf.GGUFReader`` the last few files it
    read. transformers looks both up on each call, so it finds these; what they return is only read."""
    import gguf

    if hasattr(gguf.get_tensor_name_map, "cache_info"):
        return
    gguf.get_tensor_name_map = functools.cache(gguf.get_tensor_name_map)
    gguf.GGUFReader = _kept_reader(gguf.GGUFReader)


def _kept_reader(reader_type: type) -> object:
    """``reader_type`` (GGUFReader) keeping the last few files it read, known by the file itself (a link to one,
    as the runner reads a tokenizer through, finds it too), its size and its modification time."""
    kept: dict[tuple, object] = {}

    def reader(path: str | os.PathLike, mode: str = "r") -> object:
        stat = os.stat(path)
        key = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, mode)
        if key not in kept:
            if len(kept) >= KEPT_FILES:
                del kept[next(iter(kept))]
            kept[key] = reader_type(path, mode)
        return kept[key]

    return reader


KEPT_FILES = 4
