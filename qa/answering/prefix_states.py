"""llama.cpp's state after a prompt's fixed prefix — each shape's system text and worked examples —
kept in memory and on disk, so a question reads only its own tokens.

llama.cpp itself reuses what the previous prompt shares with the next one; when the shape changes,
that is nothing, and the ~400 instruction tokens are read again (~4 s on 2 cores). Here the state
after each fixed prefix is saved once and restored when that prefix is asked for again, across
requests (memory) and processes (disk). A state is found by the prefix's tokens — which hold the
chat template and the prompt text — under a folder named for the model file, its size and date,
the context size and the llama.cpp version: when any of them changes, the old states are not used.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MIN_PREFIX_TOKENS = 32  # a shorter prefix reads faster than a state loads
MEMORY_STATES = 8  # six shapes and some room; ~30 KB per token each for the default model


def state_folder(cache_dir: Path, model_path: Path, n_ctx: int) -> Path:
    """Where the states of this model file, context size and llama.cpp build are kept."""
    import llama_cpp

    stat = model_path.stat()
    return cache_dir / "prefix-states" / f"{model_path.name}-{stat.st_size}-{int(stat.st_mtime)}-ctx{n_ctx}-{llama_cpp.__version__}"


class PrefixStates:
    """States by prefix tokens: the last few in memory, every one on disk (when a folder is given)."""

    def __init__(self, folder: Path | None, capacity: int = MEMORY_STATES) -> None:
        self.folder = folder
        self.capacity = capacity
        self._memory: OrderedDict[str, bytes] = OrderedDict()

    @staticmethod
    def key(tokens: Sequence[int]) -> str:
        return hashlib.sha256(np.asarray(tokens, dtype=np.int32).tobytes()).hexdigest()

    def get(self, tokens: Sequence[int]) -> bytes | None:
        key = self.key(tokens)
        if key in self._memory:
            self._memory.move_to_end(key)
            return self._memory[key]
        if self.folder is None:
            return None
        try:
            data = (self.folder / f"{key}.state").read_bytes()
        except OSError:
            return None
        self._remember(key, data)
        return data

    def put(self, tokens: Sequence[int], data: bytes) -> None:
        key = self.key(tokens)
        self._remember(key, data)
        if self.folder is None:
            return
        try:  # written whole or not at all: a reader never sees half a state
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.folder, suffix=".tmp", delete=False) as handle:
                handle.write(data)
            os.replace(handle.name, self.folder / f"{key}.state")
        except OSError:
            pass  # a read-only or full cache costs speed, not answers

    def _remember(self, key: str, data: bytes) -> None:
        self._memory[key] = data
        self._memory.move_to_end(key)
        while len(self._memory) > self.capacity:
            self._memory.popitem(last=False)


def common_length(a: Sequence[int], b: Sequence[int]) -> int:
    """How many tokens two sequences share from the start."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def read_prefix(llama, prefix: Sequence[int], states: PrefixStates) -> int:  # noqa: ANN001
    """Put llama.cpp in the state after `prefix`: nothing to do when its context already starts with
    it, restored when saved before, else read once and saved. Returns the prefix tokens that did not
    have to be read now."""
    import ctypes

    import llama_cpp

    n = len(prefix)
    if n < MIN_PREFIX_TOKENS or common_length(llama.input_ids[: llama.n_tokens].tolist(), prefix) >= n:
        return n if n >= MIN_PREFIX_TOKENS else 0
    data = states.get(prefix)
    if data is not None:
        buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if llama_cpp.llama_state_set_data(llama._ctx.ctx, buffer, len(data)) == len(data):
            llama.input_ids[:n] = prefix
            llama.n_tokens = n
            llama._requires_eval = True  # the next token's logits come from decoding the question
            return n
    llama.reset()
    llama.eval(list(prefix))
    size = llama_cpp.llama_state_get_size(llama._ctx.ctx)
    buffer = (ctypes.c_uint8 * int(size))()
    written = llama_cpp.llama_state_get_data(llama._ctx.ctx, buffer, size)
    states.put(prefix, bytes(buffer)[: int(written)])
    return 0
