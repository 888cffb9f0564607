"""One ASGI app: the Gradio chat at /, the HTTP API under /api."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date

from fastapi import FastAPI
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from qa import __version__
from qa.answer import Answerer, Token, Turn
from qa.errors import IndexMissingError, QAError
from qa.retrieve import Filters
from qa.types import Answer


class FiltersIn(BaseModel):
    sources: list[str] = Field(default_factory=list, max_length=50)
    since: date | None = None
    until: date | None = None


class TurnIn(BaseModel):
    question: str = Field(max_length=2000)
    answer: str = Field(max_length=20000)


class AskIn(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    history: list[TurnIn] = Field(default_factory=list, max_length=20)
    filters: FiltersIn | None = None
    k: int | None = Field(default=None, ge=1, le=20)
    stream: bool = False


def answer_payload(answer: Answer) -> dict:
    """The same object `qa ask --json` prints."""
    payload = asdict(answer)
    payload.pop("hits")
    return payload


def build_app(answerer: Answerer):  # noqa: ANN201
    import gradio as gr

    from qa.ui import build_ui

    retriever = answerer.retriever
    api = FastAPI(title="Newsroom QA", version=__version__)

    @api.exception_handler(IndexMissingError)
    async def _missing(request, exc: IndexMissingError) -> JSONResponse:  # noqa: ANN001, ARG001
        return JSONResponse({"error": str(exc)}, status_code=503)

    @api.exception_handler(QAError)
    async def _qa_error(request, exc: QAError) -> JSONResponse:  # noqa: ANN001, ARG001
        return JSONResponse({"error": str(exc)}, status_code=400)

    @api.get("/api/health")
    def health() -> dict:
        return {"status": "ok", "version": __version__, "chunks": retriever.store.counts()["chunks"]}

    @api.get("/api/search")
    def search(q: str, k: int = 5) -> list[dict]:
        return [asdict(hit) for hit in retriever.search(q, k=max(1, min(k, 50)))]

    @api.post("/api/ask")
    def ask(body: AskIn):  # noqa: ANN202
        """Answer with citations; with `stream: true`, Server-Sent Events: `token` events, then one
        `answer` event carrying the whole answer object (or an `error` event)."""
        history = [Turn(t.question, t.answer) for t in body.history]
        filters = Filters(tuple(body.filters.sources), body.filters.since, body.filters.until) if body.filters else None
        events = answerer.stream(body.question, history, body.k, filters)
        if not body.stream:
            final = [e for e in events if isinstance(e, Answer)][-1]
            return answer_payload(final)
        return StreamingResponse(_sse(events), media_type="text/event-stream")

    return gr.mount_gradio_app(api, build_ui(answerer), path="/")


def _sse(events: Iterator[Token | Answer]) -> Iterator[str]:
    try:
        for event in events:
            if isinstance(event, Token):
                yield f"event: token\ndata: {json.dumps({'text': event.text}, ensure_ascii=False)}\n\n"
            else:
                yield f"event: answer\ndata: {json.dumps(answer_payload(event), ensure_ascii=False)}\n\n"
    except QAError as exc:
        yield f"event: error\ndata: {json.dumps({'error': str(exc)})}\n\n"
