"""One ASGI app: the Gradio chat at /, the HTTP API under /api."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from qa import __version__
from qa.errors import IndexMissingError, QAError
from qa.answer import Answerer


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
        from dataclasses import asdict

        return [asdict(hit) for hit in retriever.search(q, k=max(1, min(k, 50)))]

    return gr.mount_gradio_app(api, build_ui(answerer), path="/")
