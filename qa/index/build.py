"""How does the corpus become an index? Scan files, re-read only what changed, find each outlet's
boilerplate, embed new chunks, rebuild the vector and keyword indexes, and switch generations
atomically.

Boilerplate (`qa.ingest.boilerplate`) is counted over the whole index, so it can change when other
articles arrive or leave: each ingest recomputes it from the stored sentences, and the articles
that hold a sentence whose status changed are chunked again; chunks whose span is unchanged keep
their vectors, so only the chunks that changed are embedded."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import LoadError
from qa.index import generations
from qa.index.dense import build_dense_index, write_dense_index
from qa.index.embedding import PASSAGE_TEMPLATE, Embedder, passage_text
from qa.index.keyword import build_keyword_index
from qa.index.store import Store
from qa.ingest import boilerplate, dedup
from qa.ingest.chunking import split_into_chunks
from qa.ingest.loaders import SUPPORTED_SUFFIXES, load_file
from qa.types import Article, Chunk

log = logging.getLogger(__name__)

# Files in the corpus that describe it rather than hold articles.
NOT_ARTICLES = ("README", "LICENSE", "NOTICE")


@dataclass(frozen=True)
class IngestOptions:
    chunk_chars: int = 1000
    overlap_sentences: int = 1
    index_type: str = "flat"
    rebuild: bool = False
    boilerplate_min_articles: int = boilerplate.DEFAULT_MIN_ARTICLES  # 0: keep every sentence


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rechunked: int = 0  # stored articles chunked again because their outlet's boilerplate changed
    chunks: int = 0
    seconds: float = 0.0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        rate = self.chunks / self.seconds if self.seconds else 0.0
        line = (
            f"added {self.added} / updated {self.updated} / removed {self.removed} / "
            f"skipped {len(self.skipped)} (unchanged {self.unchanged}, exact duplicates {self.duplicates}); "
            f"{self.chunks} chunks embedded in {self.seconds:.1f} s ({rate:.1f} chunks/s)"
        )
        if self.rechunked:
            line += f"; {self.rechunked} articles re-chunked as their outlet's boilerplate changed"
        reasons = "".join(f"\n  skipped {path}: {why}" for path, why in self.skipped)
        return line + reasons


def scan_corpus(corpus: Path) -> dict[str, Path]:
    """Corpus-relative posix path -> file, for every candidate article file (hidden files skipped)."""
    found: dict[str, Path] = {}
    for path in sorted(corpus.rglob("*")):
        rel = path.relative_to(corpus)
        if not path.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        if path.stem.upper() in NOT_ARTICLES:
            continue
        found[rel.as_posix()] = path
    return found


def read_changes(
    corpus: Path, known: dict[str, str], report: IngestReport
) -> tuple[dict[str, str], list[str], dict[str, list[Article]]]:
    """Compare the corpus with the indexed files' hashes: each file's hash, the paths gone, and
    the changed files read (unreadable ones reported and skipped)."""
    files = scan_corpus(corpus)
    hashes = {rel: file_sha256(path) for rel, path in files.items()}
    changed = [rel for rel in files if known.get(rel) != hashes[rel]]
    gone = [rel for rel in known if rel not in files]
    report.unchanged = len(files) - len(changed)
    return hashes, gone, _load_changed(corpus, files, changed, report)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest_corpus(
    corpus: Path,
    index_dir: Path,
    embedder: Embedder,
    options: IngestOptions = IngestOptions(),
    progress: Callable[[int, int], Callable[[int], None]] | None = None,
) -> IngestReport:
    """Bring the index at `index_dir` in step with the files under `corpus`.

    Unchanged files are not read again and nothing of theirs is re-embedded; changed files are
    re-read; files that are gone lose their articles. `progress(total, ...)` makes a callback
    that is told how many chunks were just embedded.
    """
    started = time.perf_counter()
    report = IngestReport()
    expected_meta = {
        "embed_model": embedder.name,
        "passage_template": PASSAGE_TEMPLATE,
        "chunk_chars": str(options.chunk_chars),
        "overlap_sentences": str(options.overlap_sentences),
    }
    with generations.WriterLock(index_dir):
        live = generations.current_generation(index_dir)
        if live is not None and not options.rebuild:
            store = Store(live / generations.STORE_FILE, readonly=True)
            generations.check_compatible(store.meta(), expected_meta, index_dir)
            known, meta = store.file_hashes(), store.meta()
            store.close()
        else:
            known, meta = {}, {}

        hashes, gone, loaded = read_changes(corpus, known, report)
        same_options = (meta.get("index_type"), meta.get("boilerplate_min_articles")) == (
            options.index_type, str(options.boilerplate_min_articles))
        if not loaded and not gone and not options.rebuild and same_options:
            report.seconds = time.perf_counter() - started
            return report

        folder = generations.begin_generation(index_dir) if not options.rebuild or live is None else _fresh(index_dir)
        try:
            store = Store(folder / generations.STORE_FILE)
            with store.db:
                _apply(store, known, hashes, loaded, gone, embedder, options, report, progress)
                store.set_meta({**expected_meta, "index_type": options.index_type,
                                "boilerplate_min_articles": str(options.boilerplate_min_articles),
                                "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S")})
            _write_search_indexes(store, folder, options.index_type)
            store.close()
            generations.commit_generation(index_dir, folder)
        except BaseException:
            generations.abandon_generation(folder)
            raise
    report.seconds = time.perf_counter() - started
    return report


def _fresh(index_dir: Path) -> Path:
    folder = generations.begin_generation(index_dir)
    (folder / generations.STORE_FILE).unlink(missing_ok=True)
    return folder


def _load_changed(
    corpus: Path, files: dict[str, Path], changed: list[str], report: IngestReport) -> dict[str, list[Article]]:
    loaded: dict[str, list[Article]] = {}
    for rel in changed:
        path = files[rel]
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            report.skipped.append((rel, f"unsupported file type {path.suffix or '(none)'}"))
            continue
        try:
            result = load_file(path, corpus)
        except LoadError as exc:
            report.skipped.append((rel, str(exc)))
            log.warning("skipped %s: %s", rel, exc)
            continue
        report.warnings.extend(f"{rel}: {w}" for w in result.warnings)
        loaded[rel] = result.articles
    return loaded


def _write_search_indexes(store: Store, folder: Path, index_type: str) -> None:
    ids, vectors = store.embeddings()
    write_dense_index(build_dense_index(ids, vectors, index_type), folder / generations.DENSE_FILE)
    keyword_ids, texts = store.keyword_texts()
    build_keyword_index(keyword_ids, texts, folder / generations.KEYWORD_DIR)


def _apply(
    store: Store,
    known: dict[str, str],
    hashes: dict[str, str],
    loaded: dict[str, list[Article]],
    gone: list[str],
    embedder: Embedder,
    options: IngestOptions,
    report: IngestReport,
    progress: Callable[[int, int], Callable[[int], None]] | None,
) -> None:
    heirs: set[str] = set()  # duplicates that may inherit chunks cut by another outlet's boilerplate
    for rel in gone:
        heirs.update(store.duplicates_in_other_files(rel))
        report.removed += len(store.remove_file(rel))
    fresh: list[Article] = []
    for rel, articles in loaded.items():
        heirs.update(store.duplicates_in_other_files(rel))
        previous = set(store.remove_file(rel)) if rel in known else set()
        for article in articles:
            report.updated += article.id in previous
            report.added += article.id not in previous
            digest = dedup.content_hash(article.body)
            canonical = store.canonical_for_hash(digest)
            store.add_article(article, digest, dedup.minhash(article.body), canonical)
            store.add_sentences(article.id, boilerplate.keyed_sentences(article.body))
            if canonical is not None:
                report.duplicates += 1
            else:
                fresh.append(article)
        report.removed += len(previous - {a.id for a in articles})
        store.set_file(rel, hashes[rel], sum(len(a.body) for a in articles))
    store.set_near_duplicates(dedup.near_duplicate_links(*store.signatures()))
    stale = (_refresh_boilerplate(store, options.boilerplate_min_articles) | heirs) - {a.id for a in fresh}

    new_chunks: list[tuple[Article, Chunk]] = []
    for article in fresh:
        new_chunks.extend((article, chunk) for chunk in _chunk(store, article, options))
    for article_id in sorted(stale):
        article = store.article(article_id)
        if article is None or not store.is_canonical(article_id):
            continue  # gone, or an exact duplicate that another copy's chunks stand for
        missing = store.replace_chunks(article_id, _chunk(store, article, options))
        new_chunks.extend((article, chunk) for chunk in missing)
        report.rechunked += article_id not in heirs
    texts = [passage_text(article, chunk) for article, chunk in new_chunks]
    tick = progress(len(texts)) if progress and texts else None
    vectors = embedder.embed(texts, tick)
    store.add_chunks([chunk for _, chunk in new_chunks], vectors)
    report.chunks = len(new_chunks)


def _chunk(store: Store, article: Article, options: IngestOptions) -> list[Chunk]:
    skip = store.boilerplate_spans(article.id)
    return split_into_chunks(article, options.chunk_chars, options.overlap_sentences, skip)


def _refresh_boilerplate(store: Store, min_articles: int) -> set[str]:
    """Recompute every outlet's boilerplate from the stored sentences; returns the stored articles
    that hold a sentence whose status changed (their chunks are stale)."""
    for article_id in store.articles_without_sentences():  # an index from before boilerplate
        article = store.article(article_id)
        store.add_sentences(article_id, boilerplate.keyed_sentences(article.body if article else ""))
    before = {(b.source, b.key): b.articles for b in store.boilerplate()}
    found = boilerplate.select_boilerplate(store.sentence_spread(max(2, min_articles)), min_articles)
    if found != before:
        store.set_boilerplate(found)
    return store.articles_holding(set(before) ^ set(found))
