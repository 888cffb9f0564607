"""How are candidates found in Milvus? One engine hybrid query per sub-ranking: dense (FLAT, inner
product) and BM25 full-text requests fused by the engine's RRFRanker, filtered to the live
generation and the sub-ranking's outlets and days; only those candidates come back to the app."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from qa.errors import ConfigError
from qa.index import generations
from qa.index.keyword import tokenize
from qa.index.milvus_store import (
    FACT_FIELDS,
    MilvusCatalog,
    MilvusStore,
    State,
    literal,
)
from qa.retrieval.candidates import Candidate, RankingWeights, Scope


@dataclass
class MilvusView:
    """One generation of the Milvus index, as retrieval reads it."""

    milvus: MilvusStore
    state: State
    store: MilvusCatalog
    sources: list[str]
    newest: date | None
    _idf: dict[str, float] = field(default_factory=dict)

    def rankings(
        self, query: str, vector: np.ndarray, scopes: list[Scope], weights: RankingWeights
    ) -> list[list[Candidate]]:
        from pymilvus import AnnSearchRequest, RRFRanker

        words = " ".join(tokenize([query])[0])
        dense_copies, keyword_copies = _copies(weights.dense_weight), _copies(weights.keyword_weight)
        found = []
        for scope in scopes:
            expr = f"({self.state.visible()}){_scope_expr(scope)}"
            requests = [AnnSearchRequest(data=[np.asarray(vector, dtype=np.float32).tolist()], anns_field="dense",
                                         param={"metric_type": "IP"}, limit=weights.candidates, expr=expr)] * dense_copies
            if words:  # the engine adds a request once per copy: an integer weight is that many copies
                requests += [AnnSearchRequest(data=[words], anns_field="sparse", param={"metric_type": "BM25"},
                                              limit=weights.candidates, expr=expr)] * keyword_copies
            result = self.milvus.client.hybrid_search(
                self.milvus.collection("chunks"), requests, RRFRanker(weights.rrf_k),
                limit=weights.candidates * 2, output_fields=FACT_FIELDS,
            )
            found.append(
                [
                    Candidate(int(hit["id"] if "id" in hit else hit["chunk_id"]), float(hit["distance"]),
                              hit["entity"]["article_id"], hit["entity"]["story"], hit["entity"]["source"],
                              int(hit["entity"]["day"]))
                    for hit in result[0]
                ]
            )
        return found

    def query_weights(self, tokens: set[str]) -> dict[str, float]:
        """BM25 idf of each token, from the document counts the ingest keeps; cached per generation."""
        total = int(self.store.counts().get("chunks", 0))
        missing = sorted(tokens - self._idf.keys())
        if missing:
            rows = self.milvus.client.query(
                self.milvus.collection("terms"), filter=f"({self.state.visible()}) and term in {literal(missing)}",
                output_fields=["term", "df"], limit=len(missing),
            )
            df = {row["term"]: int(row["df"]) for row in rows}
            if len(self._idf) > 100_000:
                self._idf.clear()
            for token in missing:
                count = df.get(token, 0)
                self._idf[token] = math.log(1 + (total - count + 0.5) / (count + 0.5)) if count else 0.0
        return {t: self._idf[t] for t in tokens}


def _copies(weight: float) -> int:
    if weight < 0 or weight != int(weight):
        raise ConfigError(f"The Milvus backend fuses in the engine with RRF: dense and keyword weights must be "
                          f"whole numbers, not {weight}.")
    return int(weight)


def _scope_expr(scope: Scope) -> str:
    parts = []
    if scope.sources:
        parts.append(f"source in {literal(scope.sources)}")
    if scope.since_day is not None:
        parts.append(f"day >= {scope.since_day}")
    if scope.until_day is not None:
        parts.append(f"day > 0 and day <= {scope.until_day}")
    return "".join(f" and {p}" for p in parts)


class MilvusIndex:
    """The index in Milvus; re-reads the state row at most every `refresh_seconds`, so every app
    replica follows an ingest made by any other process within that time."""

    def __init__(self, store: MilvusStore, expected_meta: dict[str, str], refresh_seconds: float = 1.0) -> None:
        self.milvus = store
        self.expected_meta = expected_meta
        self.refresh_seconds = refresh_seconds
        self._view: MilvusView | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def open(self) -> MilvusView:
        with self._lock:
            if self._view is not None and time.monotonic() - self._checked < self.refresh_seconds:
                return self._view
            state = self.milvus.require_state()
            self._checked = time.monotonic()
            if self._view is None or self._view.state != state:
                generations.check_compatible(state.meta or {}, self.expected_meta, Path(self.milvus.where()))
                if self._view is None:
                    self.milvus.load()
                summary = state.summary or {}
                newest = summary.get("newest")
                self._view = MilvusView(
                    self.milvus, state, MilvusCatalog(self.milvus, state),
                    list(summary.get("sources", [])),
                    date.fromisoformat(newest) if newest else None,
                )
            return self._view
