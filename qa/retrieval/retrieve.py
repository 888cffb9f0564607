"""How are passages found for a question? Dense and keyword search over the live index, fused,
with per-outlet sub-rankings for outlets the question names, boosts for the dates it mentions,
explicit filters, and at most a few passages per story."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from qa.errors import IndexMismatchError
from qa.index import generations
from qa.index.dense import DenseIndex
from qa.index.embedding import PASSAGE_TEMPLATE, Embedder
from qa.index.keyword import KeywordIndex
from qa.index.store import Store
from qa.ingest.sentences import split_sentences
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


@dataclass
class _Table:
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


def _load_table(generation: Path) -> _Table:
    store = Store(generation / generations.STORE_FILE, readonly=True)
    rows = store.db.execute(
        "SELECT c.id, a.source, a.published_at, c.article_id, coalesce(a.near_duplicate_of, c.article_id)"
        " FROM chunks c JOIN articles a ON a.id = c.article_id ORDER BY c.id"
    ).fetchall()
    sources = sorted({r[1] for r in rows})
    articles = sorted({r[3] for r in rows} | {r[4] for r in rows})
    source_code = {s: i for i, s in enumerate(sources)}
    article_code = {a: i for i, a in enumerate(articles)}
    days = np.array([_ordinal(r[2]) for r in rows], dtype=np.int64)
    keyword = KeywordIndex(generation / generations.KEYWORD_DIR)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    if not np.array_equal(ids, keyword.ids):
        raise IndexMismatchError(f"{generation} is inconsistent; rebuild with `qa ingest --rebuild`.")
    return _Table(
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


def _ordinal(published_at: str) -> int:
    try:
        return date.fromisoformat(published_at[:10]).toordinal()
    except ValueError:
        return 0


class Retriever:
    """Hybrid search over an index folder; reopens the index when an ingest switches generations."""

    def __init__(
        self,
        index_dir: Path,
        embedder: Embedder,
        config: RetrievalConfig = RetrievalConfig(),
        today: Callable[[], date] | None = None,
    ) -> None:
        self.index_dir = index_dir
        self.embedder = embedder
        self.config = config
        self._today = today
        self._table: _Table | None = None
        self._lock = threading.Lock()

    def _open(self) -> _Table:
        generation = generations.require_generation(self.index_dir)
        with self._lock:
            if self._table is None or self._table.generation != generation:
                store = Store(generation / generations.STORE_FILE, readonly=True)
                expected = {"embed_model": self.embedder.name, "passage_template": PASSAGE_TEMPLATE}
                generations.check_compatible(store.meta(), expected, self.index_dir)
                store.close()
                self._table = _load_table(generation)
            return self._table

    @property
    def store(self) -> Store:
        return self._open().store

    def outlets(self) -> list[str]:
        return [s for s in self._open().sources if s]

    def plan(self, question: str, now: date | None = None) -> QueryPlan:
        """Outlets and dates the question mentions; relative dates count back from `now`, else
        `today` (by default the newest article's date, so "last week" means the corpus's last week)."""
        table = self._open()
        today = now or (self._today() if self._today else (table.newest or date.today()))
        return plan_query(question, table.sources, today)

    def search(
        self, query: str, k: int = 10, filters: Filters | None = None, now: date | None = None,
        max_per_article: int | None = None, source_quota: int | None = None, mention_quota: int | None = None,
    ) -> list[Hit]:
        """The `k` best chunks for `query`; `now` anchors relative dates ("last week"),
        `max_per_article` overrides the configured cap (answers that need breadth use fewer),
        `source_quota` the places kept for each outlet the query names, `mention_quota` (instead)
        the places kept for each name, whichever of its sections fill them — a comparison of
        "The Guardian and The Independent" wants both sides, not every Independent section."""
        table = self._open()
        plan = self.plan(query, now)
        cfg = self.config
        allowed = self._filter_mask(table, filters)
        vector = self.embedder.embed([query])[0]
        keyword_scores = table.keyword.scores(query) if len(table.ids) else np.zeros(0)
        fused = np.zeros(len(table.ids), dtype=np.float64)
        self._add_hybrid(table, vector, keyword_scores, allowed, 1.0, fused)
        for source in plan.sources:
            mask = table.source_mask(source) if allowed is None else table.source_mask(source) & allowed
            if mask.any():
                self._add_hybrid(table, vector, keyword_scores, mask, cfg.source_weight, fused)
        for span in plan.dates:
            if span.relative:  # "what happened yesterday": the window's own best passages are candidates
                window = _days(table, span) if allowed is None else _days(table, span) & allowed
                if window.any():
                    self._add_hybrid(table, vector, keyword_scores, window, cfg.source_weight, fused)
        if plan.dates and cfg.date_boost:
            on_date = np.zeros(len(table.ids), dtype=bool)
            for span in plan.dates:
                on_date |= _days(table, span)
            fused[on_date] *= 1.0 + cfg.date_boost
        if cfg.sentence_weight:
            self._sentence_rerank(table, plan.core or query, fused)
        if mention_quota:
            groups, quota = plan.mentions, mention_quota
        else:
            groups, quota = tuple((s,) for s in plan.sources), cfg.source_quota if source_quota is None else source_quota
        return self._select(table, fused, k, groups, max_per_article or cfg.max_per_article, quota)

    def _sentence_rerank(self, table: _Table, query: str, fused: np.ndarray) -> None:
        """Reward candidates holding one sentence that matches many rare query words: evidence
        for a news question is usually a single sentence, diluted in a chunk-level score."""
        cfg = self.config
        depth = min(cfg.rerank_depth, int((fused > 0).sum()))
        if depth == 0:
            return
        top = np.argsort(-fused, kind="stable")[:depth]
        rows = table.store.chunks_by_id(int(table.ids[p]) for p in top)
        query_tokens = set(table.keyword.tokens([query])[0])
        weights = {t: table.keyword.idf(t) for t in query_tokens}
        best = np.zeros(depth)
        for i, position in enumerate(top):
            sentences = split_sentences(rows[int(table.ids[position])].text)
            for tokens in table.keyword.tokens(sentences) if sentences else []:
                best[i] = max(best[i], sum(weights.get(t, 0.0) for t in set(tokens)))
        for rank, i in enumerate(np.argsort(-best, kind="stable")):
            fused[top[i]] += cfg.sentence_weight / (cfg.rrf_k + rank + 1)

    def _filter_mask(self, table: _Table, filters: Filters | None) -> np.ndarray | None:
        if filters is None or filters == Filters():
            return None
        mask = np.ones(len(table.ids), dtype=bool)
        if filters.sources:
            wanted = {s.lower() for s in filters.sources}
            codes = [i for i, s in enumerate(table.sources) if s.lower() in wanted]
            mask &= np.isin(table.source, codes)
        if filters.since:
            mask &= table.day >= filters.since.toordinal()
        if filters.until:
            mask &= (table.day > 0) & (table.day <= filters.until.toordinal())
        return mask

    def _add_hybrid(
        self,
        table: _Table,
        vector: np.ndarray,
        keyword_scores: np.ndarray,
        mask: np.ndarray | None,
        weight: float,
        fused: np.ndarray,
    ) -> None:
        """Add weighted reciprocal-rank scores of the dense and keyword rankings within `mask`."""
        cfg = self.config
        allowed_ids = None if mask is None else table.ids[mask]
        dense = table.dense.search(vector, cfg.candidates, allowed_ids)
        positions = np.searchsorted(table.ids, [chunk_id for chunk_id, _ in dense])
        for rank, position in enumerate(positions):
            fused[position] += weight * cfg.dense_weight / (cfg.rrf_k + rank + 1)
        scores = keyword_scores if mask is None else np.where(mask, keyword_scores, 0.0)
        top = np.argpartition(-scores, min(cfg.candidates, len(scores) - 1))[: cfg.candidates]
        top = top[np.argsort(-scores[top], kind="stable")]
        for rank, position in enumerate(p for p in top if scores[p] > 0):
            fused[position] += weight * cfg.keyword_weight / (cfg.rrf_k + rank + 1)

    def _select(
        self, table: _Table, fused: np.ndarray, k: int, groups: tuple[tuple[str, ...], ...] = (),
        max_per_article: int = 3, quota: int = 1,
    ) -> list[Hit]:
        """Best first; one article per near-duplicate story, at most `max_per_article` chunks each,
        and `quota` places kept for each group of named outlets that has matching passages."""
        order = [int(p) for p in np.argsort(-fused, kind="stable") if fused[p] > 0]
        chosen: list[int] = []
        story_owner: dict[int, int] = {}
        per_article: dict[int, int] = {}

        def take(position: int) -> bool:
            article, story = int(table.article[position]), int(table.story[position])
            if position in chosen or story_owner.get(story, article) != article:
                return False
            if per_article.get(article, 0) >= max_per_article:
                return False
            story_owner[story] = article
            per_article[article] = per_article.get(article, 0) + 1
            chosen.append(position)
            return True

        for group in groups[:k]:
            codes = {table.sources.index(source) for source in group}
            left = quota
            for position in order:
                if left == 0:
                    break
                if table.source[position] in codes:
                    left -= take(position)
        for position in order:
            if len(chosen) >= k:
                break
            take(position)
        chosen = sorted(chosen[:k], key=lambda p: -fused[p])
        rows = table.store.chunks_by_id(int(table.ids[p]) for p in chosen)
        hits = []
        for position in chosen:
            row = rows[int(table.ids[position])]
            hits.append(
                Hit(
                    chunk_id=row.chunk_id, article_id=row.article_id, position=row.position,
                    start=row.start, end=row.end, text=row.text, score=float(fused[position]),
                    title=row.title, source=row.source, url=row.url, published_at=row.published_at,
                )
            )
        return hits


def _days(table: _Table, span: DateRange) -> np.ndarray:
    """Which chunks were published within the range."""
    low = span.since.toordinal() if span.since else 1
    high = span.until.toordinal() if span.until else 10**7
    return (table.day >= low) & (table.day <= high)
