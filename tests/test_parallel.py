"""Embedding in worker processes gives the vectors the single-process model gives (real MiniLM)."""

from __future__ import annotations

import numpy as np
import pytest

from qa.index.parallel import ParallelEmbedder


@pytest.mark.slow
def test_workers_embed_like_one_process(embedder) -> None:
    texts = [f"Article {i}: the Zorblax glacier lost {i} metres of ice in year {1990 + i}." for i in range(40)]
    texts += ["A much longer passage about markets, shares and the Quimperle Bank merger. " * 5] * 3
    parallel = ParallelEmbedder(embedder.name, workers=2, slice_size=8)
    seen: list[int] = []
    try:
        vectors = parallel.embed(texts, seen.append)
    finally:
        parallel.close()
    assert sum(seen) == len(texts) and len(seen) > 1
    assert np.allclose(vectors, embedder.embed(texts), atol=1e-4)
    assert not np.allclose(vectors[0], vectors[1], atol=1e-3)  # each text got its own vector
