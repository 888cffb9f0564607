"""Ingest with the real MiniLM model, real FAISS and SQLite files on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import faiss
import numpy as np
import pytest

from qa.errors import IndexMismatchError
from qa.index import generations
from qa.index.build import IngestOptions, ingest_corpus
from qa.index.dense import DenseIndex
from qa.index.keyword import KeywordIndex
from qa.index.store import Store
from qa.retrieval.retrieve import Retriever


def _open_store(index_dir: Path) -> Store:
    return Store(generations.require_generation(index_dir) / generations.STORE_FILE, readonly=True)


def assert_consistent(index_dir: Path) -> Store:
    """SQLite, FAISS and BM25 hold exactly the same chunk ids, and every span is exact."""
    generation = generations.require_generation(index_dir)
    store = _open_store(index_dir)
    ids, vectors = store.embeddings()
    dense = DenseIndex(generation / generations.DENSE_FILE)
    dense_ids = faiss.vector_to_array(dense.index.id_map)
    keyword = KeywordIndex(generation / generations.KEYWORD_DIR)
    assert sorted(dense_ids.tolist()) == ids.tolist() == sorted(keyword.ids.tolist())
    for article in store.articles():
        for chunk in store.chunks_of(article.id):
            assert article.body[chunk.start : chunk.end] == chunk.text
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    return store


def _top_titles(index_dir: Path, embedder, query: str, k: int = 3) -> list[str]:
    return [hit.title for hit in Retriever(index_dir, embedder).search(query, k=k)]


def test_ingest_reads_every_format_and_keeps_stores_consistent(tiny_corpus, index_dir, embedder) -> None:
    report = ingest_corpus(tiny_corpus, index_dir, embedder)
    assert (report.added, report.removed, report.skipped) == (5, 0, [])
    store = assert_consistent(index_dir)
    counts = store.counts()
    assert counts["articles"] == 5 and counts["chunks"] == report.chunks > 5
    sources = {a.source for a in store.articles()}
    assert {"Reuters", "Polar Times", "Market Wire", "Sports Daily", "Culture Post"} <= sources
    assert _top_titles(index_dir, embedder, "Zorblax glacier melting")[0].startswith("Scientists map")
    assert _top_titles(index_dir, embedder, "Quimperle Bank merger")[0].startswith("Quimperle Bank")


def test_second_ingest_changes_nothing(tiny_corpus, index_dir, embedder) -> None:
    ingest_corpus(tiny_corpus, index_dir, embedder)
    before = generations.require_generation(index_dir)
    report = ingest_corpus(tiny_corpus, index_dir, embedder)
    assert not report.changed and report.chunks == 0 and report.unchanged == 4
    assert generations.require_generation(index_dir) == before


def test_changed_article_is_reembedded_and_others_are_untouched(tiny_corpus, index_dir, embedder) -> None:
    ingest_corpus(tiny_corpus, index_dir, embedder)
    store = _open_store(index_dir)
    untouched = {a.id: [c for c in store.chunks_of(a.id)] for a in store.articles() if a.path != "glacier.md"}
    old_ids = store.embeddings()[0].tolist()
    store.close()
    glacier = tiny_corpus / "glacier.md"
    glacier.write_text(glacier.read_text().replace("Zorblax", "Plimsworth"))
    report = ingest_corpus(tiny_corpus, index_dir, embedder)
    assert (report.added, report.updated, report.removed) == (0, 1, 0)
    store = assert_consistent(index_dir)
    for article_id, chunks in untouched.items():
        assert store.chunks_of(article_id) == chunks
    assert len(set(store.embeddings()[0].tolist()) - set(old_ids)) == report.chunks
    hits = Retriever(index_dir, embedder).search("Plimsworth glacier", k=1)
    assert "Plimsworth" in hits[0].text and "Zorblax" not in hits[0].title


def test_removed_file_leaves_all_three_stores(tiny_corpus, index_dir, embedder) -> None:
    ingest_corpus(tiny_corpus, index_dir, embedder)
    (tiny_corpus / "markets.jsonl").unlink()
    report = ingest_corpus(tiny_corpus, index_dir, embedder)
    assert report.removed == 2
    store = assert_consistent(index_dir)
    assert store.counts()["articles"] == 3
    titles = _top_titles(index_dir, embedder, "Quimperle Bank shares merger", k=5)
    assert not any("Quimperle" in t or "Velloran" in t for t in titles)


def test_bad_files_are_skipped_with_reasons_and_nothing_else_is_lost(tiny_corpus, index_dir, embedder) -> None:
    (tiny_corpus / "binary.txt").write_bytes(b"\x00\x01\x02garbage\x00")
    (tiny_corpus / "broken.json").write_text('{"title": "x", "body": ')
    (tiny_corpus / "notes.docx").write_bytes(b"PK\x03\x04")
    (tiny_corpus / "empty.md").write_text("  \n")
    report = ingest_corpus(tiny_corpus, index_dir, embedder)
    reasons = dict(report.skipped)
    assert set(reasons) == {"binary.txt", "broken.json", "notes.docx", "empty.md"}
    assert "unsupported" in reasons["notes.docx"] and "JSON" in reasons["broken.json"]
    assert report.added == 5
    assert "skipped broken.json" in report.summary()
    assert_consistent(index_dir)


def test_corrupted_update_keeps_the_previous_version(tiny_corpus, index_dir, embedder) -> None:
    ingest_corpus(tiny_corpus, index_dir, embedder)
    (tiny_corpus / "glacier.md").write_bytes(b"\xff\xfe\x00bad bytes")
    report = ingest_corpus(tiny_corpus, index_dir, embedder)
    assert [path for path, _ in report.skipped] == ["glacier.md"]
    assert _top_titles(index_dir, embedder, "Zorblax glacier")[0].startswith("Scientists map")


def test_exact_duplicate_is_stored_once_and_inherits_when_original_goes(tiny_corpus, index_dir, embedder) -> None:
    shutil.copyfile(tiny_corpus / "glacier.md", tiny_corpus / "glacier-copy.md")
    report = ingest_corpus(tiny_corpus, index_dir, embedder)
    assert report.duplicates == 1
    store = assert_consistent(index_dir)
    assert store.counts()["exact_duplicates"] == 1
    chunks_before = store.counts()["chunks"]
    (tiny_corpus / "glacier.md").unlink()
    ingest_corpus(tiny_corpus, index_dir, embedder)
    store = assert_consistent(index_dir)
    assert store.counts()["chunks"] == chunks_before
    assert store.counts()["exact_duplicates"] == 0
    hit = Retriever(index_dir, embedder).search("Zorblax glacier", k=1)[0]
    assert store.article(hit.article_id).path == "glacier-copy.md"


def test_near_duplicate_is_linked_and_returned_once(tiny_corpus, index_dir, embedder) -> None:
    original = (tiny_corpus / "glacier.md").read_text()
    syndicated = original.replace("published_at: 2023-10-05", "published_at: 2023-10-06").replace(
        "url: https://example.org/polar/zorblax-glacier", "url: https://example.org/wire/zorblax"
    ).replace("Local officials plan", "Officials in the region plan")
    (tiny_corpus / "glacier-wire.md").write_text(syndicated)
    ingest_corpus(tiny_corpus, index_dir, embedder)
    store = assert_consistent(index_dir)
    links = dict(store.db.execute("SELECT path, near_duplicate_of FROM articles WHERE near_duplicate_of IS NOT NULL"))
    assert list(links) == ["glacier-wire.md"]
    hits = Retriever(index_dir, embedder).search("Zorblax glacier meltwater lakes", k=5)
    assert len({hit.url for hit in hits if "zorblax" in hit.url}) == 1


def test_failure_mid_write_leaves_the_old_index_usable(tiny_corpus, index_dir, embedder, monkeypatch) -> None:
    ingest_corpus(tiny_corpus, index_dir, embedder)
    live = generations.require_generation(index_dir)
    (tiny_corpus / "markets.jsonl").unlink()
    (tiny_corpus / "glacier.md").write_text((tiny_corpus / "glacier.md").read_text() + "\nA new paragraph.\n")

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash while writing FAISS")

    monkeypatch.setattr("qa.index.build.write_dense_index", crash)
    with pytest.raises(RuntimeError):
        ingest_corpus(tiny_corpus, index_dir, embedder)
    assert generations.require_generation(index_dir) == live
    assert not list(index_dir.glob("tmp-*"))
    store = assert_consistent(index_dir)
    assert store.counts()["articles"] == 5
    monkeypatch.undo()
    report = ingest_corpus(tiny_corpus, index_dir, embedder)
    assert (report.updated, report.removed) == (1, 2)


class _OtherModel:
    name = "some/other-model"

    def embed(self, texts, progress=None):  # noqa: ANN001, ANN201
        raise AssertionError("must not be called")


def test_opening_an_index_built_with_another_model_says_how_to_rebuild(tiny_corpus, index_dir, embedder) -> None:
    ingest_corpus(tiny_corpus, index_dir, embedder)
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        Retriever(index_dir, _OtherModel()).search("anything")
    with pytest.raises(IndexMismatchError, match="other-model"):
        ingest_corpus(tiny_corpus, index_dir, _OtherModel())
    with pytest.raises(IndexMismatchError, match="chunk_chars"):
        ingest_corpus(tiny_corpus, index_dir, embedder, IngestOptions(chunk_chars=500))


def test_rebuild_and_approximate_index_type(tiny_corpus, index_dir, embedder) -> None:
    ingest_corpus(tiny_corpus, index_dir, embedder)
    report = ingest_corpus(tiny_corpus, index_dir, embedder, IngestOptions(chunk_chars=500, index_type="hnsw", rebuild=True))
    assert report.added == 5
    store = assert_consistent(index_dir)
    assert store.meta()["index_type"] == "hnsw" and store.meta()["chunk_chars"] == "500"
    assert all(len(c.text) <= 500 for a in store.articles() for c in store.chunks_of(a.id))
    assert _top_titles(index_dir, embedder, "Brindlemoor lantern festival")[0].startswith("Lanterns")
