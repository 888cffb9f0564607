"""The /api/documents routes: list the indexed articles (reader), upload a file of articles or
add one by URL, and delete an article (admin). Library errors become JSON `{"detail": reason}` with their status:
404 unknown id, 409 duplicate or article inside a collection file, 415 unsupported file type,
422 any other unusable upload; a body over QA_MAX_UPLOAD_BYTES gets 413 from the middleware."""

from __future__ import annotations

import json
from dataclasses import asdict

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from qa.errors import (
    DocumentConflict,
    DocumentError,
    DocumentNotFound,
    QAError,
    UnsupportedDocumentType,
)
from qa.index.follow import Follower
from qa.index.library import Library
from qa.serving.access import Access

_STATUS: tuple[tuple[type[QAError], int], ...] = (
    (DocumentNotFound, 404),
    (DocumentConflict, 409),
    (UnsupportedDocumentType, 415),
    (DocumentError, 422),
)


def _http_error(error: QAError) -> HTTPException:
    status = next(code for kind, code in _STATUS if isinstance(error, kind))
    return HTTPException(status, str(error))


_URL_BODY = {"requestBody": {"content": {"application/json": {"schema": {
    "type": "object", "required": ["url"],
    "properties": {"url": {"type": "string", "description": "an article page, RSS/Atom feed or sitemap (http/https)"}},
}}}}}


def _url_of(body: bytes) -> str:
    try:
        data = json.loads(body or b"null")
    except json.JSONDecodeError as error:
        raise HTTPException(422, f"The JSON body is malformed: {error.msg}.") from None
    url = data.get("url") if isinstance(data, dict) else None
    if not isinstance(url, str) or not url.strip():
        raise HTTPException(422, 'Send {"url": "https://…"}: the JSON body needs a "url" string.')
    return url.strip()


def build_router(library: Library, access: Access, follower: Follower | None = None) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["documents"])
    reader, admin = [Depends(access.reader)], [Depends(access.admin)]

    @router.get("/documents", dependencies=reader)
    def list_documents(
        response: Response,
        source: str = Query("", max_length=200, description="only this outlet (case-insensitive)"),
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0),
    ) -> list[dict]:
        """Indexed articles ordered by file path; the `X-Total-Count` header counts them before paging."""
        documents = library.documents()
        if source:
            documents = [d for d in documents if d.source.lower() == source.lower()]
        response.headers["X-Total-Count"] = str(len(documents))
        return [asdict(d) for d in documents[offset : offset + limit]]

    @router.post("/documents", status_code=201, dependencies=admin, openapi_extra=_URL_BODY)
    async def add_document(
        request: Request,
        file: UploadFile | None = File(None, description="an article file: .txt .md .html .json .jsonl .pdf"),
    ) -> dict:
        """Add a file to the corpus and index it — or, with a JSON body `{"url": …}`, fetch an
        article page, feed or sitemap into the corpus and index what it holds. Returns the
        documents added (for a URL: every document it leads to) and the ingest report."""
        if file is None and request.headers.get("content-type", "").startswith("application/json"):
            url = _url_of(await request.body())
            return await run_in_threadpool(_add_url, url)
        if file is None:
            raise HTTPException(422, "Send a file (multipart field `file`) or a JSON body {\"url\": \"https://…\"}.")
        data = await file.read()
        try:
            upload = await run_in_threadpool(library.upload, file.filename or "", data)
        except DocumentError as error:
            raise _http_error(error) from error
        return {
            "documents": [asdict(d) for d in upload.documents],
            "ingest": asdict(upload.report),
            "summary": upload.report.summary(),
        }

    def _add_url(url: str) -> dict:
        if follower is None:
            raise HTTPException(404, "This server fetches no URLs (it was started without a follower).")
        report = follower.fetch_urls([url])
        if report.errors and not report.paths:
            raise HTTPException(422, report.errors[0])
        return {
            "documents": [asdict(d) for d in library.documents_in(report.paths)],
            "ingest": asdict(report.ingest) if report.ingest else None,
            "summary": report.summary(),
        }

    @router.delete("/documents/{document_id}", dependencies=admin)
    def delete_document(document_id: str) -> dict:
        """Delete an article: its file leaves the corpus and the article leaves every index."""
        try:
            return asdict(library.delete(document_id))
        except (DocumentError, DocumentNotFound) as error:
            raise _http_error(error) from error

    return router
