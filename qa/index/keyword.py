"""How are words searched? BM25 (bm25s, English stop words, Snowball stemming), saved without pickle."""

from __future__ import annotations

from pathlib import Path

import numpy as np

_IDS_FILE = "chunk_ids.npy"


def _stemmer():  # noqa: ANN202
    import Stemmer

    return Stemmer.Stemmer("english")


_shared_stemmer = None


def tokenize(texts: list[str]) -> list[list[str]]:
    """Stemmed, stop-word-free tokens, as the keyword index sees them (also what the Milvus
    backend stores and searches, so both backends score the same words)."""
    global _shared_stemmer
    import bm25s

    if _shared_stemmer is None:
        _shared_stemmer = _stemmer()
    return bm25s.tokenize(texts, stopwords="en", stemmer=_shared_stemmer, show_progress=False, return_ids=False)


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
    """A loaded BM25 index over chunks; `ids[i]` is the chunk id of document i."""

    def __init__(self, folder: Path) -> None:
        import bm25s

        self._bm25s = bm25s
        self.ids = np.load(folder / _IDS_FILE, allow_pickle=False)
        self.stemmer = _stemmer()
        self.retriever = bm25s.BM25.load(str(folder), allow_pickle=False) if len(self.ids) else None
        self._df: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for `query` (zeros when no query word is indexed)."""
        if self.retriever is None:
            return np.zeros(0, dtype=np.float32)
        tokens = self.tokens([query])
        token_ids = self.retriever.get_tokens_ids(tokens[0]) if tokens and tokens[0] else []
        if not token_ids:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.retriever.get_scores(token_ids), dtype=np.float32)

    def tokens(self, texts: list[str]) -> list[list[str]]:
        """Stemmed, stop-word-free tokens, as the index sees them."""
        return self._bm25s.tokenize(texts, stopwords="en", stemmer=self.stemmer, show_progress=False, return_ids=False)

    def idf(self, token: str) -> float:
        """Inverse document frequency of an indexed token (0 for unknown tokens)."""
        if self.retriever is None:
            return 0.0
        token_id = self.retriever.vocab_dict.get(token)
        if token_id is None:
            return 0.0
        if self._df is None:
            self._df = np.diff(self.retriever.scores["indptr"])
        df = float(self._df[token_id])
        return float(np.log(1 + (len(self.ids) - df + 0.5) / (df + 0.5)))
