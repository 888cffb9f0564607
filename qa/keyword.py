"""How are words searched? BM25 (bm25s, English stop words, Snowball stemming), saved without pickle."""

from __future__ import annotations

from pathlib import Path

import numpy as np

_IDS_FILE = "chunk_ids.npy"


def _stemmer():  # noqa: ANN202
    import Stemmer

    return Stemmer.Stemmer("english")


def build_keyword_index(ids: np.ndarray, texts: list[str], folder: Path) -> None:
    """Index `texts` with BM25 and save it (JSON + .npy arrays) into `folder`."""
    import bm25s

    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / _IDS_FILE, ids.astype(np.int64), allow_pickle=False)
    retriever = bm25s.BM25()
    if texts:
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)
        retriever.index(tokens, show_progress=False)
    retriever.save(str(folder), allow_pickle=False)


class KeywordIndex:
    """A loaded BM25 index: `search` returns (chunk id, BM25 score) pairs."""

    def __init__(self, folder: Path) -> None:
        import bm25s

        self._bm25s = bm25s
        self.ids = np.load(folder / _IDS_FILE, allow_pickle=False)
        self.stemmer = _stemmer()
        self.retriever = bm25s.BM25.load(str(folder), allow_pickle=False) if len(self.ids) else None

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        if self.retriever is None:
            return []
        tokens = self._bm25s.tokenize(
            [query], stopwords="en", stemmer=self.stemmer, show_progress=False, return_ids=False
        )
        if not tokens or not tokens[0]:
            return []
        docs, scores = self.retriever.retrieve(tokens, k=min(k, len(self.ids)), show_progress=False, n_threads=1)
        return [(int(self.ids[d]), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
