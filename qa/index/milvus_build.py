"""How does the corpus become an index in Milvus? The same scan, dedup and chunking as the local
ingest; new chunks are embedded and written in batches as generation live+1, the rows they replace
are retired, and one state-row write switches readers over (see qa/index/milvus_store.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import IndexBusyError
from qa.index import generations
from qa.index.build import (
    IngestOptions,
    IngestReport,
    read_changes,
)
from qa.index.embedding import PASSAGE_TEMPLATE, Embedder, passage_text
from qa.index.keyword import tokenize
from qa.index.milvus_lease import writer_lease
from qa.index.milvus_store import ARTICLE_FIELDS, MilvusStore, State, literal
from qa.ingest import dedup
from qa.ingest.chunking import split_into_chunks
from qa.types import Article

_NEW = ""  # chunk source of an article whose chunks are embedded in this ingest


@dataclass(frozen=True)
class ArticleRow:
    """An article as the articles collection holds it."""

    article_id: str
    path: str
    title: str
    source: str
    url: str
    published_at: str
    author: str
    category: str
    place: str
    content_hash: str
    duplicate_of: str
    near_duplicate_of: str
    minhash: str  # hex of the uint64 signature

    def chunk_facts(self) -> tuple[str, ...]:
        """What its chunk rows copy from it (a change means the rows are rewritten)."""
        return (self.title, self.source, self.url, self.published_at, self.near_duplicate_of, self.content_hash)


def ingest_into_milvus(
    corpus: Path,
    store: MilvusStore,
    embedder: Embedder,
    options: IngestOptions = IngestOptions(),
    progress: Callable[[int], Callable[[int], None]] | None = None,
    interrupt: Callable[[str], None] | None = None,
) -> IngestReport:
    """Bring the Milvus index in step with the files under `corpus` (as `ingest_corpus` does for
    the local folder), holding the store's writer lease (IndexBusyError while another ingest, from
    any machine, holds it). `interrupt(step)` is called between writes (tests use it to crash there)."""
    with writer_lease(store):
        return _ingest(corpus, store, embedder, options, progress, interrupt)


def _ingest(
    corpus: Path,
    store: MilvusStore,
    embedder: Embedder,
    options: IngestOptions,
    progress: Callable[[int], Callable[[int], None]] | None,
    interrupt: Callable[[str], None] | None,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    checkpoint = interrupt or (lambda step: None)
    expected_meta = {
        "embed_model": embedder.name,
        "passage_template": PASSAGE_TEMPLATE,
        "chunk_chars": str(options.chunk_chars),
        "overlap_sentences": str(options.overlap_sentences),
    }
    state = store.state()
    if state is not None:
        store.load()  # a new process finds the collections released
        if not options.rebuild:
            generations.check_compatible(state.meta or {}, expected_meta, Path(store.where()))
        store.recover(state)
    state = state or State()
    fresh = options.rebuild or state.live == 0
    known = {} if fresh else {row["path"]: row["sha256"] for row in store.rows("files", state.visible(), ["path", "sha256"])}
    hashes, gone, loaded = read_changes(corpus, known, report)
    if not loaded and not gone and not options.rebuild:
        report.seconds = time.perf_counter() - started
        return report

    generation = state.live + 1
    old = {} if fresh else {r["article_id"]: ArticleRow(**{f: r[f] for f in ARTICLE_FIELDS})
                            for r in store.rows("articles", state.visible(), ARTICLE_FIELDS)}
    articles = dict(old)
    chunk_source = {a: a for a, row in old.items() if not row.duplicate_of}  # final owner -> old owner of its chunks
    by_hash = {row.content_hash: a for a, row in sorted(old.items(), reverse=True) if not row.duplicate_of}
    for rel in gone:
        report.removed += len(_remove_file(articles, chunk_source, by_hash, rel))
    new_articles: list[Article] = []
    for rel, loaded_articles in loaded.items():
        previous = set(_remove_file(articles, chunk_source, by_hash, rel)) if rel in known else set()
        for article in loaded_articles:
            report.updated += article.id in previous
            report.added += article.id not in previous
            digest = dedup.content_hash(article.body)
            canonical = by_hash.get(digest, "")
            articles[article.id] = ArticleRow(
                article.id, article.path, article.title, article.source, article.url, article.published_at,
                article.author, article.category, article.place, digest, canonical, "",
                dedup.minhash(article.body).astype(np.uint64).tobytes().hex(),
            )
            if canonical:
                report.duplicates += 1
            else:
                by_hash[digest] = article.id
                chunk_source[article.id] = _NEW
                new_articles.append(article)
        report.removed += len(previous - {a.id for a in loaded_articles})
    _link_near_duplicates(articles)
    checkpoint("planned")

    # Chunks: embed the new ones; copy (vectors kept) those whose article facts changed.
    next_id = state.next_chunk_id
    pairs = [(a, c) for a in new_articles for c in split_into_chunks(a, options.chunk_chars, options.overlap_sentences)]
    texts = [passage_text(a, c) for a, c in pairs]
    tick = progress(len(texts)) if progress and texts else None
    vectors = embedder.embed(texts, tick) if texts else np.zeros((0, 0), dtype=np.float32)  # no model load otherwise
    if not store.exists():
        store.create(int(vectors.shape[1]) if len(texts) else int(embedder.embed(["dimension"]).shape[1]))
    rows = []
    for (article, chunk), vector in zip(pairs, vectors, strict=True):
        rows.append(_chunk_row(next_id, generation, articles[article.id], chunk.position, chunk.start, chunk.end,
                               chunk.text, vector))
        next_id += 1
    keep = {a for a, src in chunk_source.items() if src == a and old[a].chunk_facts() == articles[a].chunk_facts()}
    moved = {src: a for a, src in chunk_source.items() if src != _NEW and a not in keep}  # old owner -> new owner
    for old_row in _rows_of(store, "chunks", "article_id", list(moved), state.visible(), ["*"]):
        owner = articles[moved[old_row["article_id"]]]
        rows.append(_chunk_row(next_id, generation, owner, old_row["position"], old_row["start"], old_row["end"],
                               old_row["text"], old_row["dense"]))
        next_id += 1
    keywords = tokenize([f"{row['title']}\n{row['text']}" for row in rows]) if rows else []
    for row, tokens in zip(rows, keywords, strict=True):
        row["keyword"] = " ".join(tokens)
    store.insert("chunks", rows)
    report.chunks = len(pairs)
    checkpoint("chunks written")
    retired_owners = [] if fresh else [a for a, row in old.items() if not row.duplicate_of and a not in keep]
    retired_keywords = [r["keyword"] for r in _rows_of(store, "chunks", "article_id", retired_owners, state.visible(), ["keyword"])]
    _update_terms(store, state, generation, fresh, [row["keyword"] for row in rows], retired_keywords)

    # Articles and files: new rows for what changed; the rows they replace retired.
    changed_articles = [a for a, row in articles.items() if old.get(a) != row]
    store.insert("articles", [{"pk": f"{a}#{generation}", "born": generation, "died": 0, **articles[a].__dict__}
                              for a in changed_articles])
    store.insert("files", [{"pk": f"{rel}#{generation}", "born": generation, "died": 0, "path": rel,
                            "sha256": hashes[rel], "size": sum(len(a.body) for a in loaded[rel])} for rel in loaded])
    if not fresh:
        visible = state.visible()
        replaced = [a for a in old if a not in articles or old[a] != articles[a]]
        _retire(store, "chunks", "article_id", retired_owners, visible, generation)
        _retire(store, "articles", "article_id", replaced, visible, generation)
        _retire(store, "files", "path", [rel for rel in gone + list(loaded) if rel in known], visible, generation)
    checkpoint("rows retired")

    live = State(live=generation, floor=generation if fresh else state.floor, next_chunk_id=next_id,
                 meta={**expected_meta, "index_type": "milvus", "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S")})
    store.switch(replace(live, summary=_summary(articles, store, live)))
    checkpoint("switched")
    store.purge(live)
    report.seconds = time.perf_counter() - started
    return report


def _update_terms(
    store: MilvusStore, state: State, generation: int, fresh: bool, added: list[str], removed: list[str]
) -> None:
    """New document-frequency rows for the tokens whose count changes; the old rows retired."""
    delta: dict[str, int] = {}
    for keywords, sign in ((added, 1), (removed, -1)):
        for keyword in keywords:
            for token in set(keyword.split()):
                delta[token] = delta.get(token, 0) + sign
    touched = [t for t, d in delta.items() if d]
    old = {} if fresh else {r["term"]: r["df"] for r in _rows_of(store, "terms", "term", touched, state.visible(), ["term", "df"])}
    store.insert("terms", [{"pk": f"{t}#{generation}", "born": generation, "died": 0, "term": t, "df": old.get(t, 0) + delta[t]}
                           for t in touched if old.get(t, 0) + delta[t] > 0])
    if not fresh:
        _retire(store, "terms", "term", [t for t in touched if t in old], state.visible(), generation)


def _rows_of(store: MilvusStore, kind: str, key: str, values: list[str], visible: str, fields: list[str]) -> list[dict]:
    found: list[dict] = []
    for begin in range(0, len(values), 500):
        found += store.rows(kind, f"({visible}) and {key} in {literal(values[begin : begin + 500])}", fields)
    return found


def _retire(store: MilvusStore, kind: str, key: str, values: list[str], visible: str, generation: int) -> None:
    for begin in range(0, len(values), 500):
        store.retire(kind, f"({visible}) and {key} in {literal(values[begin : begin + 500])}", generation)


def _remove_file(
    articles: dict[str, ArticleRow], chunk_source: dict[str, str], by_hash: dict[str, str], rel: str
) -> list[str]:
    """Forget a file's articles; an exact duplicate of a removed article inherits its chunks
    (the local Store's rule). Returns the removed article ids."""
    removed = sorted(a for a, row in articles.items() if row.path == rel)
    for article_id in removed:
        heirs = sorted(a for a, row in articles.items() if row.duplicate_of == article_id)
        row = articles.pop(article_id)
        if by_hash.get(row.content_hash) == article_id:
            del by_hash[row.content_hash]
        if heirs:
            heir = heirs[0]
            articles[heir] = replace(articles[heir], duplicate_of="")
            for other in heirs[1:]:
                articles[other] = replace(articles[other], duplicate_of=heir)
            chunk_source[heir] = chunk_source.pop(article_id, article_id)
            by_hash[row.content_hash] = heir
        else:
            chunk_source.pop(article_id, None)
    return removed


def _link_near_duplicates(articles: dict[str, ArticleRow]) -> None:
    originals = sorted(a for a, row in articles.items() if not row.duplicate_of)
    signatures = (
        np.stack([np.frombuffer(bytes.fromhex(articles[a].minhash), dtype=np.uint64) for a in originals])
        if originals else np.zeros((0, 0), dtype=np.uint64)
    )
    links = dedup.near_duplicate_links(originals, [articles[a].published_at for a in originals], signatures)
    for article_id, row in articles.items():
        if row.near_duplicate_of != links.get(article_id, ""):
            articles[article_id] = replace(row, near_duplicate_of=links.get(article_id, ""))


def _chunk_row(
    chunk_id: int, generation: int, owner: ArticleRow, position: int, start: int, end: int, text: str, vector: Any
) -> dict[str, Any]:
    return {
        "chunk_id": chunk_id, "born": generation, "died": 0, "position": position, "start": start, "end": end,
        "day": _day(owner.published_at),
        "dense": np.asarray(vector, dtype=np.float32).tolist(), "text": text, "title": owner.title, "url": owner.url,
        "source": owner.source, "article_id": owner.article_id, "story": owner.near_duplicate_of or owner.article_id,
        "published_at": owner.published_at, "content_hash": owner.content_hash,
    }


def _day(published_at: str) -> int:
    try:
        return date.fromisoformat(published_at[:10]).toordinal()
    except ValueError:
        return 0


def _summary(articles: dict[str, ArticleRow], store: MilvusStore, state: State) -> dict[str, Any]:
    originals = [row for row in articles.values() if not row.duplicate_of]
    outlets: dict[str, int] = {}
    for row in originals:
        if row.source:
            outlets[row.source] = outlets.get(row.source, 0) + 1
    dated = sorted(row.published_at for row in articles.values() if row.published_at)
    chunks = store.count("chunks", state.visible())
    return {
        "counts": {
            "articles": len(originals),
            "exact_duplicates": len(articles) - len(originals),
            "near_duplicates": sum(bool(row.near_duplicate_of) for row in articles.values()),
            "chunks": chunks,
            "files": store.count("files", state.visible()),
            "outlets": len(outlets),
            "date_range": [dated[0], dated[-1]] if dated else None,
        },
        "outlets": sorted(outlets.items(), key=lambda item: (-item[1], item[0])),
        "sources": sorted({row.source for row in originals}),
        "newest": max((row.published_at[:10] for row in articles.values() if _day(row.published_at)), default=""),
    }




def import_local_index(index_dir: Path, store: MilvusStore) -> int:
    """Copy the live generation of a local index folder into an empty Milvus index, vectors and
    chunk ids included (nothing is re-embedded); returns the number of chunks. A later
    `qa ingest` with QA_STORE=milvus carries on incrementally from there."""
    with writer_lease(store):
        return _import(index_dir, store)


def _import(index_dir: Path, store: MilvusStore) -> int:
    from qa.index.store import Store

    if store.state() is not None:
        raise IndexBusyError(f"{store.where()} already holds an index; import into a new collection name.")
    local = Store(generations.require_generation(index_dir) / generations.STORE_FILE, readonly=True)
    generation = 1
    meta = local.meta()
    fields = ", ".join(f"a.{f}" for f in ("id", "path", "title", "source", "url", "published_at", "author",
                                          "category", "place", "content_hash"))
    articles = {
        row[0]: ArticleRow(*row[:10], row[10] or "", row[11] or "", bytes(row[12]).hex())
        for row in local.db.execute(f"SELECT {fields}, a.duplicate_of, a.near_duplicate_of, a.minhash FROM articles a")
    }
    ids, vectors = local.embeddings()
    dim = int(vectors.shape[1]) if len(ids) else 384
    store.create(dim)
    rows = []
    stored_rows = {}
    for begin in range(0, len(ids), 500):
        stored_rows.update(local.chunks_by_id(ids[begin : begin + 500].tolist()))
    for chunk_id, vector in zip(ids.tolist(), vectors, strict=True):
        stored = stored_rows[chunk_id]
        rows.append(_chunk_row(chunk_id, generation, articles[stored.article_id], stored.position, stored.start,
                               stored.end, stored.text, vector))
    keywords = tokenize([f"{row['title']}\n{row['text']}" for row in rows]) if rows else []
    for row, tokens in zip(rows, keywords, strict=True):
        row["keyword"] = " ".join(tokens)
    store.insert("chunks", rows)
    _update_terms(store, State(), generation, True, [row["keyword"] for row in rows], [])
    store.insert("articles", [{"pk": f"{a}#{generation}", "born": generation, "died": 0, **row.__dict__}
                              for a, row in articles.items()])
    store.insert("files", [{"pk": f"{path}#{generation}", "born": generation, "died": 0, "path": path,
                            "sha256": sha, "size": size}
                           for path, sha, size in local.db.execute("SELECT path, sha256, size FROM files")])
    state = State(live=generation, floor=generation, next_chunk_id=int(ids.max()) + 1 if len(ids) else 1,
                  meta={k: meta[k] for k in ("embed_model", "passage_template", "chunk_chars", "overlap_sentences")}
                  | {"index_type": "milvus", "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S")})
    store.switch(replace(state, summary=_summary(articles, store, state)))
    local.close()
    return len(rows)
