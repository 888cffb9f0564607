"""/api/documents over real HTTP on loopback: list, upload, delete, errors, keys and size limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from qa.answering.answer import Answerer
from qa.answering.llm import FakeLLM
from qa.index.build import ingest_corpus
from qa.index.library import Library
from qa.retrieval.retrieve import Retriever
from qa.settings import Settings

KILN = b"""---
title: Glassblowers relight the Quillfeather kiln
source: Craft Gazette
---

The Quillfeather kiln in the town of Vantorra was relit on Friday after forty years.
"""

ADMIN = {"Authorization": "Bearer admin1"}
READER = {"Authorization": "Bearer reader1"}


@pytest.fixture
def start(tiny_corpus: Path, index_dir: Path, embedder, serve) -> Iterator[Callable[[Settings], httpx.Client]]:
    """Serve the whole app with a library over the tiny corpus; returns a client for its base URL."""
    from qa.serving.server import build_app

    ingest_corpus(tiny_corpus, index_dir, embedder)
    answerer = Answerer(Retriever(index_dir, embedder), FakeLLM())
    clients: list[httpx.Client] = []

    def start_with(settings: Settings) -> httpx.Client:
        app = build_app(answerer, settings, library=Library(tiny_corpus, index_dir, embedder))
        clients.append(httpx.Client(base_url=serve(app), timeout=60, trust_env=False))
        return clients[-1]

    yield start_with
    for client in clients:
        client.close()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def found(client: httpx.Client, query: str, headers: dict[str, str] | None = None) -> set[str]:
    response = client.get("/api/search", params={"q": query, "k": 10}, headers=headers)
    assert response.status_code == 200
    return {hit["article_id"] for hit in response.json()}


def test_list_filter_and_page(start) -> None:
    client = start(Settings())
    response = client.get("/api/documents")
    documents = response.json()
    assert response.status_code == 200 and response.headers["x-total-count"] == "5" and len(documents) == 5
    assert set(documents[0]) == {"id", "title", "source", "published_at", "url", "path", "chunks"}
    polar = client.get("/api/documents", params={"source": "polar times"}).json()
    assert [d["path"] for d in polar] == ["glacier.md"]
    page = client.get("/api/documents", params={"limit": 2, "offset": 3})
    assert page.json() == documents[3:5] and page.headers["x-total-count"] == "5"
    assert client.get("/api/documents", params={"limit": 0}).status_code == 422


def test_upload_is_searchable_then_delete_removes_it(start, tiny_corpus) -> None:
    client = start(Settings())
    assert client.get("/api/search", params={"q": "Quillfeather kiln", "k": 1}).json()[0]["source"] != "Craft Gazette"
    response = client.post("/api/documents", files={"file": ("kiln.md", KILN, "text/markdown")})
    body = response.json()
    assert response.status_code == 201, body
    [document] = body["documents"]
    assert document["path"] == "uploads/kiln.md" and document["title"] == "Glassblowers relight the Quillfeather kiln"
    assert body["ingest"]["added"] == 1 and body["ingest"]["chunks"] == document["chunks"] >= 1
    assert "added 1" in body["summary"]
    assert document["id"] in found(client, "Quillfeather kiln Vantorra")
    assert document in client.get("/api/documents").json()

    response = client.delete(f"/api/documents/{document['id']}")
    assert response.status_code == 200 and response.json() == document
    assert document["id"] not in found(client, "Quillfeather kiln Vantorra")
    assert not (tiny_corpus / "uploads" / "kiln.md").exists()
    assert len(client.get("/api/documents").json()) == 5


@pytest.mark.parametrize(
    ("filename", "data", "status", "reason"),
    [
        ("broken.pdf", b"%PDF-1.4\nnot a pdf at all\n%%EOF", 422, "unreadable PDF"),
        ("notes.docx", b"some text", 415, "Unsupported file type .docx"),
        ("../escape.md", KILN, 422, ".."),
        ("empty.txt", b"", 422, "empty"),
    ],
)
def test_a_bad_upload_gets_its_reason_and_loses_nothing(start, tiny_corpus, filename, data, status, reason) -> None:
    client = start(Settings())
    files, documents = snapshot(tiny_corpus.parent), client.get("/api/documents").json()
    response = client.post("/api/documents", files={"file": (filename, data, "application/octet-stream")})
    assert response.status_code == status and reason in response.json()["detail"]
    assert snapshot(tiny_corpus.parent) == files
    assert client.get("/api/documents").json() == documents


def test_duplicates_collections_and_unknown_ids(start, tiny_corpus) -> None:
    client = start(Settings())
    glacier = (tiny_corpus / "glacier.md").read_bytes()
    response = client.post("/api/documents", files={"file": ("again.md", glacier, "text/markdown")})
    assert response.status_code == 409 and "glacier.md" in response.json()["detail"]
    market = next(d for d in client.get("/api/documents").json() if d["path"] == "markets.jsonl")
    response = client.delete(f"/api/documents/{market['id']}")
    assert response.status_code == 409 and "markets.jsonl" in response.json()["detail"]
    response = client.delete("/api/documents/0123456789abcdef")
    assert response.status_code == 404 and "0123456789abcdef" in response.json()["detail"]
    response = client.post("/api/documents", data={"not_file": "x"})
    assert response.status_code == 422


def test_keys_readers_list_admins_change(start, tiny_corpus) -> None:
    client = start(Settings(api_keys="reader1", admin_keys="admin1"))
    upload = {"files": {"file": ("kiln.md", KILN, "text/markdown")}}
    assert client.get("/api/documents").status_code == 401
    assert client.post("/api/documents", **upload).status_code == 401
    assert client.get("/api/documents", headers=READER).status_code == 200
    assert client.get("/api/documents", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = client.post("/api/documents", headers=READER, **upload)
    assert response.status_code == 403 and "admin" in response.json()["detail"]
    glacier = next(d for d in client.get("/api/documents", headers=READER).json() if d["path"] == "glacier.md")
    assert client.delete(f"/api/documents/{glacier['id']}", headers=READER).status_code == 403
    assert (tiny_corpus / "glacier.md").exists() and not (tiny_corpus / "uploads" / "kiln.md").exists()

    response = client.post("/api/documents", headers=ADMIN, **upload)
    assert response.status_code == 201
    added = response.json()["documents"][0]["id"]
    assert added in found(client, "Quillfeather kiln Vantorra", READER)
    assert client.delete(f"/api/documents/{glacier['id']}", headers=ADMIN).status_code == 200
    assert glacier["id"] not in found(client, "Zorblax glacier", READER)


def test_an_upload_over_the_limit_gets_413(start, tiny_corpus) -> None:
    client = start(Settings(max_upload_bytes=1000))
    files = snapshot(tiny_corpus.parent)
    big = KILN + b"\nThe kiln burns day and night.\n" * 40
    response = client.post("/api/documents", files={"file": ("big.md", big, "text/markdown")})
    assert response.status_code == 413 and "1,000 bytes" in response.json()["detail"]
    assert snapshot(tiny_corpus.parent) == files
    small = client.post("/api/documents", files={"file": ("kiln.md", KILN, "text/markdown")})
    assert small.status_code == 201
