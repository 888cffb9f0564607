"""How are passages found for a question? Dense and keyword search over the live index, fused."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from qa import index
from qa.dense import DenseIndex
from qa.embedding import PASSAGE_TEMPLATE, Embedder
from qa.keyword import KeywordIndex
from qa.store import Store
from qa.types import Hit

RRF_K = 60
CANDIDATES = 50


@dataclass
class _Loaded:
    generation: Path
    store: Store
    dense: DenseIndex
    keyword: KeywordIndex


class Retriever:
    """Hybrid search over an index folder; reopens the index when an ingest switches generations."""

    def __init__(self, index_dir: Path, embedder: Embedder) -> None:
        self.index_dir = index_dir
        self.embedder = embedder
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    def _open(self) -> _Loaded:
        generation = index.require_generation(self.index_dir)
        with self._lock:
            if self._loaded is None or self._loaded.generation != generation:
                store = Store(generation / index.STORE_FILE, readonly=True)
                index.check_compatible(
                    store.meta(),
                    {"embed_model": self.embedder.name, "passage_template": PASSAGE_TEMPLATE},
                    self.index_dir,
                )
                self._loaded = _Loaded(
                    generation,
                    store,
                    DenseIndex(generation / index.DENSE_FILE),
                    KeywordIndex(generation / index.KEYWORD_DIR),
                )
            return self._loaded

    @property
    def store(self) -> Store:
        return self._open().store

    def search(self, query: str, k: int = 10) -> list[Hit]:
        """The `k` best chunks for `query`: reciprocal-rank fusion of dense and BM25 rankings,
        at most one article per near-duplicate story."""
        loaded = self._open()
        vector = self.embedder.embed([query])[0]
        dense = loaded.dense.search(vector, CANDIDATES)
        keyword = loaded.keyword.search(query, CANDIDATES)
        fused: dict[int, float] = {}
        parts: dict[int, dict[str, float]] = {}
        for name, ranking in (("dense", dense), ("keyword", keyword)):
            for rank, (chunk_id, score) in enumerate(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
                parts.setdefault(chunk_id, {})[name] = score
        ranked = sorted(fused, key=lambda c: fused[c], reverse=True)
        rows = loaded.store.chunks_by_id(ranked)
        hits: list[Hit] = []
        story_owner: dict[str, str] = {}
        for chunk_id in ranked:
            row = rows.get(chunk_id)
            if row is None:
                continue
            story = row.near_duplicate_of or row.article_id
            if story_owner.setdefault(story, row.article_id) != row.article_id:
                continue
            hits.append(
                Hit(
                    chunk_id=chunk_id, article_id=row.article_id, position=row.position,
                    start=row.start, end=row.end, text=row.text, score=fused[chunk_id],
                    title=row.title, source=row.source, url=row.url, published_at=row.published_at,
                    scores=parts[chunk_id],
                )
            )
            if len(hits) == k:
                break
        return hits
