"""How is a big ingest embedded faster? The same model in N worker processes, each embedding its
share of the texts (`qa ingest --workers N`); the results come back in order."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed

import numpy as np

from qa.index.embedding import SentenceTransformerEmbedder

_worker_model: SentenceTransformerEmbedder | None = None


def _start_worker(name: str, batch_size: int) -> None:
    global _worker_model
    import torch

    torch.set_num_threads(1)  # N workers share the cores instead of each taking them all
    _worker_model = SentenceTransformerEmbedder(name, batch_size)


def _embed_part(texts: list[str]) -> np.ndarray:
    assert _worker_model is not None
    return _worker_model.embed(texts)


class ParallelEmbedder:
    """A sentence-transformers model in `workers` processes (started on first use, kept until
    `close`); embeds in slices of `slice_size` texts. Satisfies the `Embedder` protocol."""

    def __init__(self, name: str, batch_size: int = 32, workers: int = 2, slice_size: int = 256) -> None:
        self._local = SentenceTransformerEmbedder(name, batch_size)
        self.name = self._local.name
        self.batch_size = batch_size
        self.workers = workers
        self.slice_size = slice_size
        self._pool: ProcessPoolExecutor | None = None

    @property
    def dim(self) -> int:
        return self._local.dim

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        if len(texts) <= self.slice_size:  # queries and small updates: not worth a round trip
            return self._local.embed(texts, progress)
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(self.name, self.batch_size),
            )
        order = np.argsort([-len(t) for t in texts], kind="stable")  # similar lengths batch well
        parts = [order[i : i + self.slice_size] for i in range(0, len(texts), self.slice_size)]
        futures = {self._pool.submit(_embed_part, [texts[i] for i in part]): part for part in parts}
        out: np.ndarray | None = None
        for future in as_completed(futures):
            vectors = future.result()
            if out is None:
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[futures[future]] = vectors
            if progress:
                progress(len(vectors))
        assert out is not None
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
