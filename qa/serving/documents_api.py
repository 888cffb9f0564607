"""The /api/documents routes: list the indexed articles (reader), upload a file of articles and
delete an article (admin). Library errors become JSON `{"detail": reason}` with their status:
404 unknown id, 409 duplicate or article inside a collection file, 415 unsupported file type,
422 any other unusable upload; a body over QA_MAX_UPLOAD_BYTES gets 413 from the middleware."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, File, HTTPException, Query, Response, UploadFile

from qa.errors import (
    DocumentConflict,
    DocumentError,
    DocumentNotFound,
    QAError,
    UnsupportedDocumentType,
)
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


def build_router(library: Library, access: Access) -> APIRouter:
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

    @router.post("/documents", status_code=201, dependencies=admin)
    def add_document(file: UploadFile = File(description="an article file: .txt .md .html .json .jsonl .pdf")) -> dict:
        """Add a file to the corpus and index it; returns the documents it added and the ingest report."""
        try:
            upload = library.upload(file.filename or "", file.file.read())
        except DocumentError as error:
            raise _http_error(error) from error
        return {
            "documents": [asdict(d) for d in upload.documents],
            "ingest": asdict(upload.report),
            "summary": upload.report.summary(),
        }

    @router.delete("/documents/{document_id}", dependencies=admin)
    def delete_document(document_id: str) -> dict:
        """Delete an article: its file leaves the corpus and the article leaves every index."""
        try:
            return asdict(library.delete(document_id))
        except (DocumentError, DocumentNotFound) as error:
            raise _http_error(error) from error

    return router
