"""Where do candidate passages come from? The seam between retrieval and the index backend.

A backend (the local index folder, a Milvus collection) answers one question per sub-ranking of
a search: "the chunks that best match this query within this scope, with their fused dense +
keyword reciprocal-rank score". `Retriever` then fuses the sub-rankings, boosts dates, re-ranks
by sentence and dedups stories on those candidates only, the same way for every backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np

from qa.index.store import StoredChunk
from qa.types import Article


@dataclass(frozen=True)
class Scope:
    """Hard constraints of one sub-ranking: these exact outlet names (any when empty) and days
    (proleptic ordinals; `until_day` also excludes chunks without a date)."""

    sources: tuple[str, ...] = ()
    since_day: int | None = None
    until_day: int | None = None


@dataclass(frozen=True)
class Candidate:
    """A chunk in one sub-ranking: its reciprocal-rank score and the facts fusion needs."""

    chunk_id: int
    score: float
    article_id: str
    story_id: str  # canonical article of its near-duplicate cluster (its own id when alone)
    source: str
    day: int  # proleptic ordinal, 0 when unknown


@dataclass(frozen=True)
class RankingWeights:
    """How one sub-ranking fuses its dense and keyword lists: weight / (rrf_k + rank)."""

    candidates: int = 100
    rrf_k: int = 20
    dense_weight: float = 1.0
    keyword_weight: float = 2.0


class Catalog(Protocol):
    """What the app shows about an index (stats, outlets, examples) and reads of its chunks."""

    def meta(self) -> dict[str, str]: ...
    def counts(self) -> dict[str, object]: ...
    def outlets(self) -> list[tuple[str, int]]: ...
    def articles(self) -> Iterator[Article]: ...
    def chunks_by_id(self, chunk_ids: Iterable[int]) -> dict[int, StoredChunk]: ...


class IndexView(Protocol):
    """One consistent generation of an index, as retrieval reads it."""

    sources: list[str]  # outlet names, sorted
    newest: date | None  # date of the newest article
    store: Catalog

    def rankings(
        self, query: str, vector: np.ndarray, scopes: list[Scope], weights: RankingWeights
    ) -> list[list[Candidate]]:
        """One fused dense + keyword ranking per scope, best first."""
        ...

    def query_weights(self, tokens: set[str]) -> dict[str, float]:
        """Inverse document frequency of each keyword token (0 when not indexed)."""
        ...


class ChunkIndex(Protocol):
    """A searchable index backend; `open` returns the live generation's view (cached, reopened
    when an ingest switches generations)."""

    def open(self) -> IndexView: ...
