"""How are passages found for a question? Dense and keyword search over the live index, fused,
with per-outlet sub-rankings for outlets the question names, boosts for the dates it mentions,
explicit filters, and at most a few passages per story."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from qa.index.embedding import PASSAGE_TEMPLATE, Embedder
from qa.index.keyword import tokenize
from qa.index.store import StoredChunk
from qa.ingest.sentences import split_sentences
from qa.retrieval.candidates import (
    Candidate,
    Catalog,
    ChunkIndex,
    IndexView,
    RankingWeights,
    Scope,
)
from qa.retrieval.query import DateRange, QueryPlan, plan_query
from qa.types import Hit


@dataclass(frozen=True)
class Filters:
    """Hard constraints: only these outlets (any, when empty) and publication days."""

    sources: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class RetrievalConfig:
    """Fusion settings; the defaults were chosen with `qa eval` on the MultiHop-RAG dev questions."""

    candidates: int = 100
    rrf_k: int = 20
    dense_weight: float = 1.0
    keyword_weight: float = 2.0
    source_weight: float = 1.0
    date_boost: float = 0.5
    max_per_article: int = 3
    sentence_weight: float = 6.0
    rerank_depth: int = 40
    source_quota: int = 1
    # Questions asking for the newest news without a window ("latest", "recently") multiply each
    # passage's score by 1 + recency_weight * 0.5 ** (age in days / half-life), age counted back
    # from the question's day; measured with benchmarks/recency.py (docs/follow.md).
    recency_weight: float = 2.0
    recency_half_life_days: float = 7.0


class Retriever:
    """Hybrid search over an index backend: the local folder (a Path) or any `ChunkIndex`
    (Milvus); follows the live generation when an ingest switches it."""

    def __init__(
        self,
        index: Path | ChunkIndex,
        embedder: Embedder,
        config: RetrievalConfig = RetrievalConfig(),
        today: Callable[[], date] | None = None,
    ) -> None:
        if isinstance(index, Path):
            from qa.retrieval.local import LocalIndex

            self.index_dir: Path | None = index
            index = LocalIndex(index, {"embed_model": embedder.name, "passage_template": PASSAGE_TEMPLATE})
        else:
            self.index_dir = None
        self.index: ChunkIndex = index
        self.embedder = embedder
        self.config = config
        self._today = today

    def _open(self) -> IndexView:
        return self.index.open()

    @property
    def store(self) -> Catalog:
        return self._open().store

    def outlets(self) -> list[str]:
        return [s for s in self._open().sources if s]

    def term_weights(self, tokens: set[str]) -> dict[str, float]:
        """BM25 idf of stemmed tokens in the live index (0 or absent for words no chunk holds)."""
        return self._open().query_weights(tokens) if tokens else {}

    def unseen_weight(self) -> float:
        """The idf a word no chunk holds would have: the most a word can weigh in this index."""
        chunks = int(self._open().store.counts().get("chunks", 0) or 0)
        return math.log(1 + (chunks + 0.5) / 0.5)

    def plan(self, question: str, now: date | None = None) -> QueryPlan:
        """Outlets and dates the question mentions; relative dates count back from `now`, else
        `today` (by default the newest article's date, so "last week" means the corpus's last week)."""
        view = self._open()
        today = now or (self._today() if self._today else (view.newest or date.today()))
        return plan_query(question, view.sources, today)

    def search(
        self, query: str, k: int = 10, filters: Filters | None = None, now: date | None = None,
        max_per_article: int | None = None, source_quota: int | None = None, mention_quota: int | None = None,
    ) -> list[Hit]:
        """The `k` best chunks for `query`; `now` anchors relative dates ("last week"),
        `max_per_article` overrides the configured cap (answers that need breadth use fewer),
        `source_quota` the places kept for each outlet the query names, `mention_quota` (instead)
        the places kept for each name, whichever of its sections fill them — a comparison of
        "The Guardian and The Independent" wants both sides, not every Independent section."""
        view = self._open()
        plan = self.plan(query, now)
        cfg = self.config
        scope = _filter_scope(view, filters)
        if scope is None:
            return []
        scopes, scope_weights = [scope], [1.0]
        for source in plan.sources:
            if not scope.sources or source in scope.sources:
                scopes.append(Scope((source,), scope.since_day, scope.until_day))
                scope_weights.append(cfg.source_weight)
        for span in plan.dates:
            if span.relative:  # "what happened yesterday": the window's own best passages are candidates
                since = max(d for d in (scope.since_day, span.since and span.since.toordinal()) if d)
                until = min(d for d in (scope.until_day, span.until and span.until.toordinal(), 10**7) if d)
                scopes.append(Scope(scope.sources, since, until))
                scope_weights.append(cfg.source_weight)
        weights = RankingWeights(cfg.candidates, cfg.rrf_k, cfg.dense_weight, cfg.keyword_weight)
        vector = self.embedder.embed([query])[0]
        fused: dict[int, float] = {}
        facts: dict[int, Candidate] = {}
        for weight, ranking in zip(scope_weights, view.rankings(query, vector, scopes, weights), strict=True):
            for candidate in ranking:
                fused[candidate.chunk_id] = fused.get(candidate.chunk_id, 0.0) + weight * candidate.score
                facts.setdefault(candidate.chunk_id, candidate)
        if plan.dates and cfg.date_boost:
            for chunk_id, candidate in facts.items():
                if any(_on(span, candidate.day) for span in plan.dates):
                    fused[chunk_id] *= 1.0 + cfg.date_boost
        if plan.recent and cfg.recency_weight:
            anchor = plan.recent.toordinal()
            for chunk_id, candidate in facts.items():
                if 0 < candidate.day <= anchor:  # undated and later articles get no boost
                    fused[chunk_id] *= 1.0 + cfg.recency_weight * 0.5 ** ((anchor - candidate.day) / cfg.recency_half_life_days)
        rows: dict[int, StoredChunk] = {}  # chunks read this search (one store round trip where it can)
        if cfg.sentence_weight:
            self._sentence_rerank(view, plan.core or query, fused, rows)
        if mention_quota:
            groups, quota = plan.mentions, mention_quota
        else:
            groups, quota = tuple((s,) for s in plan.sources), cfg.source_quota if source_quota is None else source_quota
        return self._select(view, fused, facts, k, groups, max_per_article or cfg.max_per_article, quota, rows)

    def _sentence_rerank(self, view: IndexView, query: str, fused: dict[int, float], rows: dict[int, StoredChunk]) -> None:
        """Reward candidates holding one sentence that matches many rare query words: evidence
        for a news question is usually a single sentence, diluted in a chunk-level score."""
        cfg = self.config
        top = _best_first(fused)[: cfg.rerank_depth]
        if not top:
            return
        _read(view, top, rows)
        weights = view.query_weights(set(tokenize([query])[0]))
        best = [0.0] * len(top)
        for i, chunk_id in enumerate(top):
            sentences = split_sentences(rows[chunk_id].text)
            for tokens in tokenize(sentences) if sentences else []:
                best[i] = max(best[i], sum(weights.get(t, 0.0) for t in set(tokens)))
        for rank, i in enumerate(sorted(range(len(top)), key=lambda i: -best[i])):
            fused[top[i]] += cfg.sentence_weight / (cfg.rrf_k + rank + 1)

    def _select(
        self, view: IndexView, fused: dict[int, float], facts: dict[int, Candidate], k: int,
        groups: tuple[tuple[str, ...], ...] = (), max_per_article: int = 3, quota: int = 1,
        rows: dict[int, StoredChunk] | None = None,
    ) -> list[Hit]:
        """Best first; one article per near-duplicate story, at most `max_per_article` chunks each,
        and `quota` places kept for each group of named outlets that has matching passages."""
        order = _best_first(fused)
        chosen: list[int] = []
        story_owner: dict[str, str] = {}
        per_article: dict[str, int] = {}

        def take(chunk_id: int) -> bool:
            article, story = facts[chunk_id].article_id, facts[chunk_id].story_id
            # -chunk_id: on Milvus, a row and its retired copy while an ingest retires it (milvus_store.retire)
            if chunk_id in chosen or -chunk_id in chosen or story_owner.get(story, article) != article:
                return False
            if per_article.get(article, 0) >= max_per_article:
                return False
            story_owner[story] = article
            per_article[article] = per_article.get(article, 0) + 1
            chosen.append(chunk_id)
            return True

        for group in groups[:k]:
            left = quota
            for chunk_id in order:
                if left == 0:
                    break
                if facts[chunk_id].source in group:
                    left -= take(chunk_id)
        for chunk_id in order:
            if len(chosen) >= k:
                break
            take(chunk_id)
        chosen = sorted(chosen[:k], key=lambda c: -fused[c])
        rows = _read(view, chosen, {} if rows is None else rows)
        hits = []
        for chunk_id in chosen:
            row = rows[chunk_id]
            hits.append(
                Hit(
                    chunk_id=row.chunk_id, article_id=row.article_id, position=row.position,
                    start=row.start, end=row.end, text=row.text, score=float(fused[chunk_id]),
                    title=row.title, source=row.source, url=row.url, published_at=row.published_at,
                )
            )
        return hits


def _read(view: IndexView, chunk_ids: list[int], rows: dict[int, StoredChunk]) -> dict[int, StoredChunk]:
    """`rows` with the chunks of `chunk_ids` it lacked read from the store (on Milvus each read is
    an engine round trip: 77 ms at a million chunks, whatever the number of ids)."""
    missing = [chunk_id for chunk_id in chunk_ids if chunk_id not in rows]
    if missing:
        rows.update(view.store.chunks_by_id(missing))
    return rows


def _best_first(fused: dict[int, float]) -> list[int]:
    """Chunk ids with a positive score, best first, ties in chunk id order."""
    return [c for c, score in sorted(fused.items(), key=lambda item: (-item[1], item[0])) if score > 0]


def _on(span: DateRange, day: int) -> bool:
    low = span.since.toordinal() if span.since else 1
    high = span.until.toordinal() if span.until else 10**7
    return low <= day <= high


def _filter_scope(view: IndexView, filters: Filters | None) -> Scope | None:
    """The scope the filters allow (outlet names matched case-insensitively); None when they
    name only outlets the index does not hold."""
    if filters is None or filters == Filters():
        return Scope()
    sources: tuple[str, ...] = ()
    if filters.sources:
        wanted = {s.lower() for s in filters.sources}
        sources = tuple(s for s in view.sources if s.lower() in wanted)
        if not sources:
            return None
    return Scope(
        sources,
        filters.since.toordinal() if filters.since else None,
        filters.until.toordinal() if filters.until else None,
    )
