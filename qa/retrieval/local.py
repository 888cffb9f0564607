"""How are candidates found in the local index folder? FAISS and BM25 over every chunk of the live
generation, with per-chunk facts held as numpy arrays (QA_STORE=local, the default)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from qa.errors import IndexMismatchError
from qa.index import generations
from qa.index.dense import DenseIndex
from qa.index.keyword import KeywordIndex
from qa.index.store import Store
from qa.retrieval.candidates import Candidate, RankingWeights, Scope


@dataclass
class LocalView:
    """Per-chunk facts of one generation, aligned with the keyword index order (ascending ids)."""

    generation: Path
    store: Store
    dense: DenseIndex
    keyword: KeywordIndex
    ids: np.ndarray
    source: np.ndarray  # index into `sources`
    day: np.ndarray  # proleptic ordinal, 0 when unknown
    article: np.ndarray  # index into `articles`
    story: np.ndarray  # near-duplicate cluster (index into `articles`)
    sources: list[str]
    articles: list[str]
    newest: date | None = None
    _source_masks: dict[str, np.ndarray] = field(default_factory=dict)

    def source_mask(self, name: str) -> np.ndarray:
        if name not in self._source_masks:
            code = self.sources.index(name) if name in self.sources else -1
            self._source_masks[name] = self.source == code
        return self._source_masks[name]

    def scope_mask(self, scope: Scope) -> np.ndarray | None:
        if scope == Scope():
            return None
        mask = np.ones(len(self.ids), dtype=bool)
        if scope.sources:
            mask &= np.logical_or.reduce([self.source_mask(s) for s in scope.sources])
        if scope.since_day is not None:
            mask &= self.day >= scope.since_day
        if scope.until_day is not None:
            mask &= (self.day > 0) & (self.day <= scope.until_day)
        return mask

    def rankings(
        self, query: str, vector: np.ndarray, scopes: list[Scope], weights: RankingWeights
    ) -> list[list[Candidate]]:
        keyword_scores = self.keyword.scores(query) if len(self.ids) else np.zeros(0)
        return [self._ranking(vector, keyword_scores, self.scope_mask(scope), weights) for scope in scopes]

    def _ranking(
        self, vector: np.ndarray, keyword_scores: np.ndarray, mask: np.ndarray | None, weights: RankingWeights
    ) -> list[Candidate]:
        """Reciprocal-rank scores of the dense and keyword rankings within `mask`."""
        if mask is not None and not mask.any():
            return []
        fused: dict[int, float] = {}
        allowed_ids = None if mask is None else self.ids[mask]
        dense = self.dense.search(vector, weights.candidates, allowed_ids)
        positions = np.searchsorted(self.ids, [chunk_id for chunk_id, _ in dense])
        for rank, position in enumerate(positions):
            fused[int(position)] = fused.get(int(position), 0.0) + weights.dense_weight / (weights.rrf_k + rank + 1)
        scores = keyword_scores if mask is None else np.where(mask, keyword_scores, 0.0)
        if len(scores):
            top = np.argpartition(-scores, min(weights.candidates, len(scores) - 1))[: weights.candidates]
            top = top[np.argsort(-scores[top], kind="stable")]
            for rank, position in enumerate(int(p) for p in top if scores[p] > 0):
                fused[position] = fused.get(position, 0.0) + weights.keyword_weight / (weights.rrf_k + rank + 1)
        return [
            Candidate(
                chunk_id=int(self.ids[p]), score=score, article_id=self.articles[self.article[p]],
                story_id=self.articles[self.story[p]], source=self.sources[self.source[p]], day=int(self.day[p]),
            )
            for p, score in sorted(fused.items(), key=lambda item: (-item[1], item[0]))
        ]

    def query_weights(self, tokens: set[str]) -> dict[str, float]:
        return {t: self.keyword.idf(t) for t in tokens}


def load_view(generation: Path) -> LocalView:
    store = Store(generation / generations.STORE_FILE, readonly=True)
    rows = store.db.execute(
        "SELECT c.id, a.source, a.published_at, c.article_id, coalesce(a.near_duplicate_of, c.article_id)"
        " FROM chunks c JOIN articles a ON a.id = c.article_id ORDER BY c.id"
    ).fetchall()
    sources = sorted({r[1] for r in rows})
    articles = sorted({r[3] for r in rows} | {r[4] for r in rows})
    source_code = {s: i for i, s in enumerate(sources)}
    article_code = {a: i for i, a in enumerate(articles)}
    days = np.array([day_number(r[2]) for r in rows], dtype=np.int64)
    keyword = KeywordIndex(generation / generations.KEYWORD_DIR)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    if not np.array_equal(ids, keyword.ids):
        raise IndexMismatchError(f"{generation} is inconsistent; rebuild with `qa ingest --rebuild`.")
    return LocalView(
        generation=generation,
        store=store,
        dense=DenseIndex(generation / generations.DENSE_FILE),
        keyword=keyword,
        ids=ids,
        source=np.array([source_code[r[1]] for r in rows], dtype=np.int32),
        day=days,
        article=np.array([article_code[r[3]] for r in rows], dtype=np.int32),
        story=np.array([article_code[r[4]] for r in rows], dtype=np.int32),
        sources=sources,
        articles=articles,
        newest=date.fromordinal(int(days.max())) if len(days) and days.max() > 0 else None,
    )


def day_number(published_at: str) -> int:
    """Proleptic ordinal of an ISO date's day, 0 when there is none."""
    try:
        return date.fromisoformat(published_at[:10]).toordinal()
    except ValueError:
        return 0


class LocalIndex:
    """The index folder (FAISS + BM25 + SQLite generations); reopened when CURRENT moves."""

    def __init__(self, index_dir: Path, expected_meta: dict[str, str]) -> None:
        self.index_dir = index_dir
        self.expected_meta = expected_meta
        self._view: LocalView | None = None
        self._lock = threading.Lock()

    def open(self) -> LocalView:
        generation = generations.require_generation(self.index_dir)
        with self._lock:
            if self._view is None or self._view.generation != generation:
                store = Store(generation / generations.STORE_FILE, readonly=True)
                generations.check_compatible(store.meta(), self.expected_meta, self.index_dir)
                store.close()
                self._view = load_view(generation)
            return self._view
