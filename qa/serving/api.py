"""The REST routes under /api: ask (JSON or Server-Sent Events), search, stats, health."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from qa import __version__
from qa.answering.answer import Answerer, Claimed, Event, Queued, Sources, Token, Turn
from qa.errors import QAError
from qa.retrieval.retrieve import Filters
from qa.serving.access import Access
from qa.types import Answer


class FiltersIn(BaseModel):
    sources: list[str] = Field(default_factory=list, max_length=50)
    since: date | None = None
    until: date | None = None

    def to_filters(self) -> Filters:
        return Filters(tuple(self.sources), self.since, self.until)


class TurnIn(BaseModel):
    question: str = Field(max_length=2000)
    answer: str = Field(max_length=20000)


class AskIn(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    history: list[TurnIn] = Field(default_factory=list, max_length=20)
    filters: FiltersIn | None = None
    k: int | None = Field(default=None, ge=1, le=20)
    shape: Literal["fact", "explain", "quote", "summary", "timeline", "compare"] | None = None  # default: from the wording
    now: date | None = None  # when the question is asked, for "yesterday" or "last week"
    stream: bool = False


def answer_payload(answer: Answer) -> dict:
    """The same object `qa ask --json` prints."""
    payload = asdict(answer)
    payload.pop("hits")
    return payload


def build_router(answerer: Answerer, access: Access) -> APIRouter:
    retriever = answerer.retriever
    router = APIRouter(prefix="/api", tags=["api"])
    reader = [Depends(access.reader)]

    @router.get("/health")
    def health() -> dict:
        """Liveness and index size; needs no key (for load balancers)."""
        return {"status": "ok", "version": __version__, "chunks": retriever.store.counts()["chunks"]}

    @router.get("/stats", dependencies=reader)
    def stats() -> dict:
        """Corpus facts: articles, chunks, outlets with their article counts, date range, model."""
        counts = retriever.store.counts()
        return {**counts, "outlets": dict(retriever.store.outlets()), "llm": answerer.llm.name}

    @router.get("/search", dependencies=reader)
    def search(q: str = Query(min_length=1, max_length=2000), k: int = Query(5, ge=1, le=50)) -> list[dict]:
        """The best passages for a query (hybrid retrieval, no language model)."""
        return [asdict(hit) for hit in retriever.search(q, k=k)]

    @router.post("/ask", dependencies=reader)
    def ask(body: AskIn):  # noqa: ANN202
        """Answer with citations; with `stream: true`, Server-Sent Events: one `sources` event (the
        passages about to be read) as soon as retrieval is done, `queued` events ({"ahead": n})
        while the local model writes other answers, a `claim` event for each sentence as soon as
        it is verified (the text it adds, and the claim with its citations and quotes) followed by
        a `token` event with that text, then one `answer` event carrying the whole answer object,
        whose text is what the tokens sent (or an `error` event)."""
        history = [Turn(t.question, t.answer) for t in body.history]
        filters = body.filters.to_filters() if body.filters else None
        events = answerer.stream(body.question, history, body.k, filters, body.now, body.shape)
        if not body.stream:
            final = [e for e in events if isinstance(e, Answer)][-1]
            return answer_payload(final)
        return StreamingResponse(_sse(events), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    return router


def sources_payload(event: Sources) -> dict:
    """The `sources` event: the passages about to be read, with their best sentence."""
    return {"sources": [asdict(item) for item in event.items], "retrieve_ms": event.retrieve_ms}


def claim_payload(event: Claimed) -> dict:
    """The `claim` event: the text a verified claim adds to the answer, and the claim as in `claims`."""
    return {"text": event.text, "claim": asdict(event.claim)}


def _sse(events: Iterator[Event]) -> Iterator[str]:
    try:
        for event in events:
            if isinstance(event, Claimed):
                yield f"event: claim\ndata: {json.dumps(claim_payload(event), ensure_ascii=False)}\n\n"
            if isinstance(event, Token | Claimed):
                yield f"event: token\ndata: {json.dumps({'text': event.text}, ensure_ascii=False)}\n\n"
            elif isinstance(event, Sources):
                yield f"event: sources\ndata: {json.dumps(sources_payload(event), ensure_ascii=False)}\n\n"
            elif isinstance(event, Queued):
                yield f"event: queued\ndata: {json.dumps({'ahead': event.ahead})}\n\n"
            else:
                yield f"event: answer\ndata: {json.dumps(answer_payload(event), ensure_ascii=False)}\n\n"
    except QAError as exc:
        yield f"event: error\ndata: {json.dumps({'error': str(exc)})}\n\n"
