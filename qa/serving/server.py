"""One ASGI app: the Gradio chat at /, a compact chat for iframes at /embed, the REST API under
/api, OpenAI-compatible endpoints under /v1 and the OpenAPI docs at /docs."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from qa import __version__
from qa.answering.answer import Answerer
from qa.errors import IndexBusyError, IndexMissingError, QAError
from qa.index.follow import Follower
from qa.index.library import Library
from qa.serving import api, documents_api, openai_api, sources_api
from qa.serving.access import Access, BodyLimitMiddleware
from qa.settings import Settings, split_list

UPLOAD_PATHS = ("/api/documents", "/gradio_api/upload", "/embed/gradio_api/upload")


def build_app(answerer: Answerer, settings: Settings = Settings(), library: Library | None = None,
              follower: Follower | None = None) -> FastAPI:
    """The whole app; `library` (upload/delete articles) is optional: without it /api/documents is
    404; `follower` adds /api/sources and `{"url": …}` uploads."""
    import gradio as gr

    from qa.serving.ui import build_embed, build_ui

    access = Access.from_settings(settings)
    app = FastAPI(
        title="Newsroom QA",
        version=__version__,
        description="Answers from a news corpus with verified citations. Send `Authorization: Bearer <key>` "
        "when the server has keys (QA_API_KEYS / QA_ADMIN_KEYS).",
    )
    app.add_middleware(BodyLimitMiddleware, max_body=settings.max_body_bytes,
                       max_upload=settings.max_upload_bytes, upload_prefixes=UPLOAD_PATHS)
    origins = split_list(settings.cors_origins)
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(origins), allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"])

    @app.exception_handler(IndexMissingError)
    async def _missing(request, exc: IndexMissingError) -> JSONResponse:  # noqa: ANN001, ARG001
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(IndexBusyError)
    async def _busy(request, exc: IndexBusyError) -> JSONResponse:  # noqa: ANN001, ARG001
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(QAError)
    async def _qa_error(request, exc: QAError) -> JSONResponse:  # noqa: ANN001, ARG001
        return JSONResponse({"detail": str(exc)}, status_code=400)

    app.include_router(api.build_router(answerer, access))
    app.include_router(openai_api.build_router(answerer, access))
    if library is not None:
        app.include_router(documents_api.build_router(library, access, follower))
    if follower is not None:
        app.include_router(sources_api.build_router(follower, access))

    auth = None
    if access.enabled:
        def auth(username: str, key: str) -> bool:  # noqa: ARG001 - any user name; the key is the password
            return access.check_key(key) is not None

    mount = dict(auth=auth, auth_message="Sign in with an API key as the password (any user name).",
                 max_file_size=settings.max_upload_bytes, footer_links=[])
    gr.mount_gradio_app(app, build_embed(answerer), path="/embed", **mount)
    gr.mount_gradio_app(app, build_ui(answerer, library=library, access=access, follower=follower), path="/", **mount)
    return app
