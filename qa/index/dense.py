"""How are vectors searched? A FAISS index keyed by chunk id, stored as a .faiss file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qa.errors import ConfigError

INDEX_TYPES = ("flat", "hnsw")


def build_dense_index(ids: np.ndarray, vectors: np.ndarray, index_type: str = "flat"):  # noqa: ANN201
    """A FAISS inner-product index over normalised vectors: exact ("flat") or HNSW (approximate)."""
    import faiss

    if index_type not in INDEX_TYPES:
        raise ConfigError(f"Unknown index type {index_type!r}; choose one of {', '.join(INDEX_TYPES)}")
    dim = vectors.shape[1] if vectors.size else 1
    if index_type == "hnsw":
        inner = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = 80
        inner.hnsw.efSearch = 64
    else:
        inner = faiss.IndexFlatIP(dim)
    index = faiss.IndexIDMap2(inner)
    if len(ids):
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))
    return index


def write_dense_index(index, path: Path) -> None:  # noqa: ANN001
    import faiss

    faiss.write_index(index, str(path))


class DenseIndex:
    """A loaded FAISS index: `search` returns (chunk id, cosine score) pairs."""

    def __init__(self, path: Path) -> None:
        import faiss

        self.index = faiss.read_index(str(path))
        self._is_hnsw = isinstance(faiss.downcast_index(self.index.index), faiss.IndexHNSW)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The `k` nearest (chunk id, cosine) pairs, only among `allowed` chunk ids when given."""
        import faiss

        if self.index.ntotal == 0 or (allowed is not None and len(allowed) == 0):
            return []
        params = None
        if allowed is not None:
            params = faiss.SearchParametersHNSW() if self._is_hnsw else faiss.SearchParameters()
            params.sel = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            if self._is_hnsw:
                params.efSearch = max(64, k)
        vector = np.asarray(query, dtype=np.float32).reshape(1, -1)
        scores, ids = self.index.search(vector, k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]
