"""The corpus as documents to list, add and delete. An upload is written into the corpus and
ingested incrementally; a deletion removes the article's file and ingests again, so the store and
both search indexes follow (and a running Retriever picks up the new generation by itself). The
index is the local folder, or Milvus (`milvus=`): the same steps, with Milvus's ingest and reads.

Choices:
- A file name keeps only its last path component, with characters outside [A-Za-z0-9._-] turned
  into "_"; a name with a ".." component is refused, as are types the loaders don't read and
  README/LICENSE/NOTICE (ingest never reads those as articles).
- Nothing is overwritten: when a different file already has the name, the upload becomes
  name-2.ext, name-3.ext, ... (to replace a file, delete its article first).
- An upload byte-identical to an indexed file, or whose articles are all exact copies of indexed
  articles, is refused with DocumentConflict naming the original, and leaves no trace.
- A file the loaders cannot read (a corrupt PDF, malformed JSON, ...) is removed again and the
  loader's reason raised as DocumentError.
- Deleting an article deletes its file. An article that shares its file with others (a JSON/JSONL
  collection) is refused with DocumentConflict naming the file: edit that file instead.
- On Milvus the corpus folder stays the source of truth: every process that changes the library
  must see the same corpus folder; changes take the store's writer lease, as `qa ingest` does
  (one writer at a time from any machine; see README, "Scale out: Milvus").
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from qa.errors import (
    DocumentConflict,
    DocumentError,
    DocumentNotFound,
    UnsupportedDocumentType,
)
from qa.index import generations
from qa.index.build import NOT_ARTICLES, IngestOptions, IngestReport, ingest_corpus
from qa.index.embedding import Embedder
from qa.index.store import Store
from qa.ingest.loaders import SUPPORTED_SUFFIXES

if TYPE_CHECKING:
    from qa.index.milvus_store import MilvusStore

Progress = Callable[[int], Callable[[int], None]]

T = TypeVar("T")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME = 120


@dataclass(frozen=True)
class Document:
    """One article in the index; `path` is its corpus-relative file, `chunks` 0 for an exact duplicate."""

    id: str
    title: str
    source: str
    published_at: str
    url: str
    path: str
    chunks: int


@dataclass(frozen=True)
class Upload:
    """What adding one file did: the documents it added and the ingest report."""

    documents: list[Document]
    report: IngestReport


def safe_filename(filename: str) -> str:
    """The name an upload is stored under, or DocumentError / UnsupportedDocumentType saying why not."""
    parts = re.split(r"[\\/]", filename)
    if ".." in parts:
        raise DocumentError(f"File name {filename!r} points outside its folder ('..'); send a plain file name.")
    name = _UNSAFE.sub("_", parts[-1]).lstrip("._-")
    stem, suffix = os.path.splitext(name)
    if not stem:
        raise DocumentError(f"File name {filename!r} has no usable characters; name it like article.md.")
    if suffix.lower() not in SUPPORTED_SUFFIXES:
        supported = " ".join(sorted(SUPPORTED_SUFFIXES))
        raise UnsupportedDocumentType(
            f"Unsupported file type {suffix or '(no extension)'} for {filename!r}; send one of: {supported}."
        )
    if stem.upper() in NOT_ARTICLES:
        raise DocumentError(f"{name} is never read as an article (README/LICENSE/NOTICE); rename the file.")
    return stem[: _MAX_NAME - len(suffix)] + suffix


class Library:
    """The articles of a corpus folder and its index: list them, add a file, delete one."""

    def __init__(
        self,
        corpus_dir: Path,
        index_dir: Path,
        embedder: Embedder,
        options: IngestOptions = IngestOptions(),
        upload_dir: str = "uploads",
        milvus: MilvusStore | None = None,
    ) -> None:
        self.corpus_dir = corpus_dir
        self.milvus = milvus
        self.index_dir = index_dir
        self.embedder = embedder
        self.options = dataclasses.replace(options, rebuild=False)  # every change here is incremental
        self.upload_dir = upload_dir
        self._lock = threading.Lock()  # one change at a time (uvicorn runs routes in a thread pool)

    def documents(self) -> list[Document]:
        """Every article in the live index, ordered by file path."""
        return [document for document, _ in self._query()]

    def add(self, filename: str, data: bytes, progress: Progress | None = None) -> list[Document]:
        """Store `data` as a corpus file and index it; returns the documents the file added."""
        return self.upload(filename, data, progress).documents

    def upload(self, filename: str, data: bytes, progress: Progress | None = None) -> Upload:
        """Like `add`, with the ingest report. `progress(total)` makes a per-batch embedding callback."""
        name = safe_filename(filename)
        if not data.strip():
            raise DocumentError(f"{name} is empty; send a file with an article in it.")
        with self._lock:
            self._refuse_identical(name, data)
            target = self._free_path(name)
            rel = target.relative_to(self.corpus_dir).as_posix()
            write_atomically(target, data)
            try:
                report = self._ingest(progress)
            except BaseException:
                target.unlink(missing_ok=True)  # the failed ingest left the index as it was
                raise
            reason = dict(report.skipped).get(rel)
            if reason is not None:
                target.unlink()
                raise DocumentError(f"{name} could not be read: {reason}. Nothing was added.")
            rows = self._query(path=rel)
            if rows and all(duplicate_of for _, duplicate_of in rows):
                target.unlink()
                self._ingest(None)
                originals = [self._query(article_id=d)[0][0] for d in sorted({d for _, d in rows if d})]
                named = "; ".join(f"{o.title!r} in {o.path}" for o in originals)
                raise DocumentConflict(f"{name} holds only exact copies of articles already indexed: {named}.")
            return Upload([document for document, _ in rows], report)

    def delete(self, document_id: str) -> Document:
        """Remove an article's file from the corpus and from the index; returns what was deleted."""
        with self._lock:
            found = self._query(article_id=document_id)
            if not found:
                raise DocumentNotFound(f"No document with id {document_id!r} in the index (list them to see the ids).")
            document = found[0][0]
            siblings = len(self._query(path=document.path))
            if siblings > 1:
                raise DocumentConflict(
                    f"Document {document_id} is one of {siblings} articles in the collection file {document.path}; "
                    "remove its record from that file and re-ingest (deleting the file would delete them all)."
                )
            file = self.corpus_dir / document.path
            parked = file.with_name(f".deleting-{uuid.uuid4().hex[:8]}-{file.name}")  # hidden: ingest skips it
            if file.exists():
                os.replace(file, parked)
            try:
                self._ingest(None)
            except BaseException:
                if parked.exists():
                    os.replace(parked, file)
                raise
            parked.unlink(missing_ok=True)
            return document

    def sync(self) -> IngestReport:
        """Bring the index in step with the corpus folder (after the follower wrote records into it)."""
        with self._lock:
            return self._ingest(None)

    def documents_in(self, paths: list[str]) -> list[Document]:
        """The documents read from these corpus files, in the order given."""
        wanted = dict.fromkeys(paths)
        by_path: dict[str, list[Document]] = {}
        for document in self.documents():
            if document.path in wanted:
                by_path.setdefault(document.path, []).append(document)
        return [d for path in wanted for d in by_path.get(path, [])]

    def _ingest(self, progress: Progress | None) -> IngestReport:
        tick = None if progress is None else (lambda total, *_: progress(total))
        if self.milvus is not None:
            from qa.index.milvus_build import ingest_into_milvus

            return ingest_into_milvus(self.corpus_dir, self.milvus, self.embedder, self.options, tick)  # under its lease
        return ingest_corpus(self.corpus_dir, self.index_dir, self.embedder, self.options, tick)

    def _refuse_identical(self, name: str, data: bytes) -> None:
        digest = hashlib.sha256(data).hexdigest()
        same = self._read(lambda store: store.paths_with_hash(digest))
        if same:
            raise DocumentConflict(f"{name} is identical to {same[0]}, which is already in the library.")

    def _free_path(self, name: str) -> Path:
        folder = self.corpus_dir / self.upload_dir
        folder.mkdir(parents=True, exist_ok=True)
        stem, suffix = os.path.splitext(name)
        target, n = folder / name, 2
        while target.exists():
            target, n = folder / f"{stem}-{n}{suffix}", n + 1
        return target

    def _query(self, path: str | None = None, article_id: str | None = None) -> list[tuple[Document, str | None]]:
        """Documents, each with the id of the article it is an exact copy of (None for originals)."""
        rows = self._read(lambda store: store.documents(path=path, article_id=article_id))
        return [(Document(*row[:7]), row[7]) for row in rows]

    def _read(self, query: Callable[[Any], list[T]]) -> list[T]:
        """`query` on the live generation's store (a `Store`, or the `MilvusStore`, which reads
        its live generation itself); [] before the first ingest."""
        if self.milvus is not None:
            return query(self.milvus)
        for _ in range(2):  # an ingest may retire the generation between reading CURRENT and opening it
            with suppress(sqlite3.OperationalError):
                return self._read_once(query)
        return self._read_once(query)

    def _read_once(self, query: Callable[[Store], list[T]]) -> list[T]:
        generation = generations.current_generation(self.index_dir)
        if generation is None:
            return []
        store = Store(generation / generations.STORE_FILE, readonly=True)
        try:
            return query(store)
        finally:
            store.close()


def write_atomically(target: Path, data: bytes) -> None:
    """Write through a hidden temp file and a rename: the corpus never holds half a file."""
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        with open(temp, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
