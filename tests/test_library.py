"""The library: uploads land in the corpus and the index, bad uploads leave no trace, deletions
take an article out of every index."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.errors import (
    DocumentConflict,
    DocumentError,
    DocumentNotFound,
    QAError,
    UnsupportedDocumentType,
)
from qa.index import generations
from qa.index.build import ingest_corpus
from qa.index.library import Library, safe_filename
from qa.retrieval.retrieve import Retriever

KILN = b"""---
title: Glassblowers relight the Quillfeather kiln
source: Craft Gazette
published_at: 2023-12-01
---

The Quillfeather kiln in the town of Vantorra was relit on Friday after forty years.
Master glassblower Ines Morrow said the Quillfeather kiln will fire its first vases next spring.
"""

OWL = b"""Ferrowick owls return to the old mill

Birdwatchers counted nine Ferrowick owls nesting in the old mill on Saturday, the first sighting in a decade.
"""


@pytest.fixture
def library(tiny_corpus: Path, index_dir: Path, embedder) -> Library:
    ingest_corpus(tiny_corpus, index_dir, embedder)
    return Library(tiny_corpus, index_dir, embedder)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def top_article(index_dir: Path, embedder, query: str) -> str:
    return Retriever(index_dir, embedder).search(query, k=1)[0].article_id


def test_an_added_article_is_listed_and_found(library, tiny_corpus, index_dir, embedder) -> None:
    before = library.documents()
    ticks: list[tuple[str, int]] = []

    def progress(total: int):  # noqa: ANN202
        ticks.append(("total", total))
        return lambda n: ticks.append(("done", n))

    added = library.add("kiln.md", KILN, progress)
    assert [(d.path, d.title, d.source) for d in added] == [
        ("uploads/kiln.md", "Glassblowers relight the Quillfeather kiln", "Craft Gazette")
    ]
    assert added[0].chunks >= 1 and (tiny_corpus / "uploads" / "kiln.md").read_bytes() == KILN
    assert {d.id for d in library.documents()} == {d.id for d in before} | {added[0].id}
    assert top_article(index_dir, embedder, "Quillfeather kiln Vantorra") == added[0].id
    total = ticks[0][1]
    assert ticks[0][0] == "total" and total == added[0].chunks
    assert sum(n for kind, n in ticks[1:] if kind == "done") == total


def test_a_retriever_already_open_sees_the_upload(library, index_dir, embedder) -> None:
    retriever = Retriever(index_dir, embedder)
    assert "Ferrowick" not in retriever.search("Ferrowick owls", k=1)[0].text
    added = library.add("owls.txt", OWL)
    assert retriever.search("Ferrowick owls", k=1)[0].article_id == added[0].id


def test_directories_are_stripped_and_odd_characters_replaced(library, tiny_corpus) -> None:
    added = library.add("C:\\Users\\me\\Owl report (final).txt", OWL)
    assert added[0].path == "uploads/Owl_report_final_.txt"
    assert (tiny_corpus / "uploads" / "Owl_report_final_.txt").exists()


def test_a_name_clash_gets_a_numbered_sibling_and_overwrites_nothing(library, tiny_corpus) -> None:
    first = library.add("story.md", KILN)
    second = library.add("story.md", OWL.replace(b"Ferrowick", b"Dunmarrow"))
    assert [first[0].path, second[0].path] == ["uploads/story.md", "uploads/story-2.md"]
    assert (tiny_corpus / "uploads" / "story.md").read_bytes() == KILN
    assert {d.id for d in library.documents()} >= {first[0].id, second[0].id}


@pytest.mark.parametrize(
    ("filename", "data", "error", "reason"),
    [
        ("broken.pdf", b"%PDF-1.4\nthis is not really a pdf\n%%EOF", DocumentError, "unreadable PDF"),
        ("bad.jsonl", b"{not json\n", DocumentError, "could not be read"),
        ("notes.docx", OWL, UnsupportedDocumentType, ".docx"),
        ("noextension", OWL, UnsupportedDocumentType, "(no extension)"),
        ("blank.txt", b" \n\t\n", DocumentError, "empty"),
        ("../../escape.txt", OWL, DocumentError, ".."),
        ("uploads/../../escape.txt", OWL, DocumentError, ".."),
        ("README.md", KILN, DocumentError, "rename"),
        ("???", OWL, DocumentError, "no usable characters"),
    ],
)
def test_a_bad_upload_is_refused_and_changes_nothing(
    library, tiny_corpus, filename, data, error, reason
) -> None:
    files, documents = snapshot(tiny_corpus.parent), library.documents()
    with pytest.raises(error) as raised:
        library.add(filename, data)
    assert reason in str(raised.value)
    assert snapshot(tiny_corpus.parent) == files  # nothing in the corpus, nothing beside it
    assert library.documents() == documents


def test_exact_duplicates_are_refused(library, tiny_corpus) -> None:
    glacier = (tiny_corpus / "glacier.md").read_bytes()
    files, documents = snapshot(tiny_corpus), library.documents()
    with pytest.raises(DocumentConflict, match="identical to glacier.md"):
        library.add("glacier-copy.md", glacier)
    retitled = glacier.replace(b"title: Scientists map", b"title: Researchers map")
    with pytest.raises(DocumentConflict, match="exact copies of articles already indexed: .* in glacier.md"):
        library.add("glacier-retitled.md", retitled)
    assert snapshot(tiny_corpus) == files and library.documents() == documents


def test_delete_takes_the_article_out_of_every_index(library, tiny_corpus, index_dir, embedder) -> None:
    added = library.add("kiln.md", KILN)[0]
    assert library.delete(added.id) == added
    assert added.id not in {d.id for d in library.documents()}
    assert not (tiny_corpus / "uploads" / "kiln.md").exists()
    hits = Retriever(index_dir, embedder).search("Quillfeather kiln Vantorra", k=10)
    assert hits and added.id not in {h.article_id for h in hits}


def test_delete_a_corpus_article(library, tiny_corpus, index_dir, embedder) -> None:
    glacier = next(d for d in library.documents() if d.path == "glacier.md")
    assert top_article(index_dir, embedder, "Zorblax glacier") == glacier.id
    library.delete(glacier.id)
    assert not (tiny_corpus / "glacier.md").exists()
    hits = Retriever(index_dir, embedder).search("Zorblax glacier", k=10)
    assert glacier.id not in {h.article_id for h in hits}


def test_unknown_id_is_not_found(library) -> None:
    with pytest.raises(DocumentNotFound, match="nope"):
        library.delete("nope")


def test_an_article_inside_a_collection_is_not_deleted(library, tiny_corpus) -> None:
    market = next(d for d in library.documents() if d.path == "markets.jsonl")
    files, documents = snapshot(tiny_corpus), library.documents()
    with pytest.raises(DocumentConflict, match="collection file markets.jsonl"):
        library.delete(market.id)
    assert snapshot(tiny_corpus) == files and library.documents() == documents


def test_a_failed_ingest_loses_nothing(library, tiny_corpus, index_dir) -> None:
    glacier = next(d for d in library.documents() if d.path == "glacier.md")
    files, documents = snapshot(tiny_corpus), library.documents()
    with generations.WriterLock(index_dir):  # another writer (e.g. `qa ingest`) holds the index
        with pytest.raises(QAError, match="Another ingest"):
            library.add("kiln.md", KILN)
        with pytest.raises(QAError, match="Another ingest"):
            library.delete(glacier.id)
    assert snapshot(tiny_corpus) == files and library.documents() == documents


def test_safe_filename_keeps_ordinary_names() -> None:
    assert safe_filename("2023-10-05_glacier.MD") == "2023-10-05_glacier.MD"
    assert safe_filename("dir/sub/.hidden.txt") == "hidden.txt"
    assert len(safe_filename("x" * 300 + ".pdf")) == 120
