"""Labelled example texts embedded once per embedding model: kept in memory for the process and on
disk beside the model cache (keyed by model name and the texts), so the shape classifier pays
its embedding pass once, not per question, per answerer or per process."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qa.index.embedding import Embedder

_MEMORY: dict[str, np.ndarray] = {}


def embedded(embedder: Embedder, texts: Sequence[str], cache_dir: Path | None = None) -> np.ndarray:
    """The texts' vectors from `embedder`, computed at most once per model and set of texts."""
    name = f"{type(embedder).__name__}:{getattr(embedder, 'name', '')}"
    key = hashlib.sha256(json.dumps([name, list(texts)]).encode()).hexdigest()[:20]
    if key in _MEMORY:
        return _MEMORY[key]
    path = cache_dir / f"examples-{key}.npy" if cache_dir else None
    if path and path.is_file():
        vectors = np.load(path, allow_pickle=False)
    else:
        vectors = np.asarray(embedder.embed(list(texts)), dtype=np.float32)
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, vectors, allow_pickle=False)
            tmp.replace(path)  # atomic: a reader never sees half a file
    _MEMORY[key] = vectors
    return vectors
