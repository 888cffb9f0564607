"""How are articles, chunks and their vectors kept? One SQLite file, the index's source of truth."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.index.sentence_tables import SentenceTables
from qa.types import Article, Chunk

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, path TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL,
    source TEXT NOT NULL, url TEXT NOT NULL, published_at TEXT NOT NULL, author TEXT NOT NULL,
    category TEXT NOT NULL, place TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    duplicate_of TEXT,            -- exact copy of this article: stored once, no chunks of its own
    near_duplicate_of TEXT,       -- canonical article of its near-duplicate cluster (syndication)
    minhash BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_path ON articles(path);
CREATE INDEX IF NOT EXISTS articles_hash ON articles(content_hash);
CREATE INDEX IF NOT EXISTS articles_url ON articles(url);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, article_id TEXT NOT NULL, position INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, embedding BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS sentences (  -- every sentence of every article, for boilerplate counts
    article_id TEXT NOT NULL, key INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sentences_article ON sentences(article_id);
CREATE INDEX IF NOT EXISTS sentences_key ON sentences(key);
CREATE TABLE IF NOT EXISTS boilerplate (  -- an outlet's boilerplate sentences: in no chunk
    source TEXT NOT NULL, key INTEGER NOT NULL, sentence TEXT NOT NULL, articles INTEGER NOT NULL,
    PRIMARY KEY (source, key)
);
"""

_ARTICLE_FIELDS = "id, title, body, source, url, published_at, author, category, place, path"


@dataclass(frozen=True)
class StoredChunk:
    """A chunk row joined with the metadata of its article."""

    chunk_id: int
    article_id: str
    position: int
    start: int
    end: int
    text: str
    title: str
    source: str
    url: str
    published_at: str
    near_duplicate_of: str | None


class Store(SentenceTables):
    """The SQLite database of one index generation (its sentence and boilerplate tables: `SentenceTables`)."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
        self.db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        if not readonly:
            self.db.executescript(_SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            self.db.commit()

    def close(self) -> None:
        self.db.close()

    # --- meta -------------------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM meta"))

    def set_meta(self, values: dict[str, str]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())

    # --- files ------------------------------------------------------------------------------
    def file_hashes(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT path, sha256 FROM files"))

    def set_file(self, path: str, sha256: str, size: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?)", (path, sha256, size))

    def remove_file(self, path: str) -> list[str]:
        """Forget a file and every article read from it; returns the removed article ids."""
        ids = [row[0] for row in self.db.execute("SELECT id FROM articles WHERE path = ?", (path,))]
        for article_id in ids:
            self.remove_article(article_id)
        self.db.execute("DELETE FROM files WHERE path = ?", (path,))
        return ids

    # --- articles ---------------------------------------------------------------------------
    def add_article(
        self, article: Article, content_hash: str, minhash: np.ndarray, duplicate_of: str | None
    ) -> None:
        self.db.execute(
            "INSERT INTO articles (id, path, title, body, source, url, published_at, author,"
            " category, place, content_hash, duplicate_of, near_duplicate_of, minhash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
            (
                article.id, article.path, article.title, article.body, article.source, article.url,
                article.published_at, article.author, article.category, article.place,
                content_hash, duplicate_of, minhash.astype(np.uint64).tobytes(),
            ),
        )

    def remove_article(self, article_id: str) -> None:
        """Delete an article; an exact duplicate of it, if any, inherits its chunks."""
        heir = self.db.execute(
            "SELECT id FROM articles WHERE duplicate_of = ? ORDER BY id LIMIT 1", (article_id,)
        ).fetchone()
        if heir:
            self.db.execute("UPDATE chunks SET article_id = ? WHERE article_id = ?", (heir[0], article_id))
            self.db.execute("UPDATE articles SET duplicate_of = NULL WHERE id = ?", (heir[0],))
            self.db.execute(
                "UPDATE articles SET duplicate_of = ? WHERE duplicate_of = ?", (heir[0], article_id)
            )
        else:
            self.db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
        self.db.execute("DELETE FROM sentences WHERE article_id = ?", (article_id,))
        self.db.execute("DELETE FROM articles WHERE id = ?", (article_id,))

    def duplicates_in_other_files(self, path: str) -> list[str]:
        """Articles of other files that exactly duplicate one of this file's articles (one of
        them inherits its chunks when the file goes)."""
        return [row[0] for row in self.db.execute(
            "SELECT d.id FROM articles d JOIN articles a ON d.duplicate_of = a.id WHERE a.path = ? AND d.path != ?",
            (path, path),
        )]

    def canonical_for_hash(self, content_hash: str) -> str | None:
        row = self.db.execute(
            "SELECT id FROM articles WHERE content_hash = ? AND duplicate_of IS NULL LIMIT 1",
            (content_hash,),
        ).fetchone()
        return row[0] if row else None

    def is_canonical(self, article_id: str) -> bool:
        """True when the article is stored and is not an exact duplicate of another."""
        row = self.db.execute("SELECT duplicate_of FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row is not None and row[0] is None

    def article(self, article_id: str) -> Article | None:
        row = self.db.execute(f"SELECT {_ARTICLE_FIELDS} FROM articles WHERE id = ?", (article_id,)).fetchone()
        return Article(*row) if row else None

    def articles(self) -> Iterator[Article]:
        for row in self.db.execute(f"SELECT {_ARTICLE_FIELDS} FROM articles ORDER BY path, id"):
            yield Article(*row)

    def signatures(self) -> tuple[list[str], list[str], np.ndarray]:
        """Ids, publication dates and MinHash signatures of the stored (non-exact-duplicate) articles."""
        rows = self.db.execute(
            "SELECT id, published_at, minhash FROM articles WHERE duplicate_of IS NULL ORDER BY id"
        ).fetchall()
        if not rows:
            return [], [], np.zeros((0, 0), dtype=np.uint64)
        matrix = np.stack([np.frombuffer(r[2], dtype=np.uint64) for r in rows])
        return [r[0] for r in rows], [r[1] for r in rows], matrix

    def set_near_duplicates(self, links: dict[str, str]) -> None:
        """Replace all near-duplicate links with `links` (article id -> canonical article id)."""
        self.db.execute("UPDATE articles SET near_duplicate_of = NULL")
        self.db.executemany(
            "UPDATE articles SET near_duplicate_of = ? WHERE id = ?",
            [(canonical, article_id) for article_id, canonical in links.items()],
        )

    # --- chunks -----------------------------------------------------------------------------
    def add_chunks(self, chunks: Iterable[Chunk], embeddings: np.ndarray) -> None:
        rows = [
            (c.article_id, c.position, c.start, c.end, c.text, np.asarray(e, dtype=np.float32).tobytes())
            for c, e in zip(chunks, embeddings, strict=True)
        ]
        self.db.executemany(
            'INSERT INTO chunks (article_id, position, start, "end", text, embedding)'
            " VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )

    def replace_chunks(self, article_id: str, chunks: list[Chunk]) -> list[Chunk]:
        """Make `chunks` the article's chunks: stored ones with the same span keep their row, id
        and vector (renumbered), the rest are deleted. Returns the chunks that still need a vector."""
        old = {(start, end): chunk_id for chunk_id, start, end in self.db.execute(
            'SELECT id, start, "end" FROM chunks WHERE article_id = ?', (article_id,))}
        missing = []
        for chunk in chunks:
            chunk_id = old.pop((chunk.start, chunk.end), None)
            if chunk_id is None:
                missing.append(chunk)
            else:
                self.db.execute("UPDATE chunks SET position = ? WHERE id = ?", (chunk.position, chunk_id))
        self.db.executemany("DELETE FROM chunks WHERE id = ?", [(chunk_id,) for chunk_id in old.values()])
        return missing

    def embeddings(self) -> tuple[np.ndarray, np.ndarray]:
        """All chunk ids and their vectors, in id order."""
        rows = self.db.execute("SELECT id, embedding FROM chunks ORDER BY id").fetchall()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        if not rows:
            return ids, np.zeros((0, 0), dtype=np.float32)
        return ids, np.stack([np.frombuffer(r[1], dtype=np.float32) for r in rows])

    def keyword_texts(self) -> tuple[np.ndarray, list[str]]:
        """All chunk ids and the text the keyword index sees (title + chunk), in id order."""
        rows = self.db.execute(
            "SELECT c.id, a.title || char(10) || c.text FROM chunks c JOIN articles a ON a.id = c.article_id"
            " ORDER BY c.id"
        ).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64), [r[1] for r in rows]

    def chunks_by_id(self, chunk_ids: Iterable[int]) -> dict[int, StoredChunk]:
        ids = list(chunk_ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            'SELECT c.id, c.article_id, c.position, c.start, c."end", c.text, a.title, a.source, a.url,'
            " a.published_at, a.near_duplicate_of FROM chunks c JOIN articles a ON a.id = c.article_id"
            f" WHERE c.id IN ({marks})",
            ids,
        ).fetchall()
        return {row[0]: StoredChunk(*row) for row in rows}

    def chunks_of(self, article_id: str) -> list[Chunk]:
        rows = self.db.execute(
            'SELECT article_id, position, start, "end", text FROM chunks WHERE article_id = ? ORDER BY position',
            (article_id,),
        )
        return [Chunk(*row) for row in rows]

    # --- summary ----------------------------------------------------------------------------
    def counts(self) -> dict[str, object]:
        one = lambda sql: self.db.execute(sql).fetchone()[0]  # noqa: E731
        first, last = self.db.execute(
            "SELECT min(published_at), max(published_at) FROM articles WHERE published_at != ''"
        ).fetchone()
        return {
            "articles": one("SELECT count(*) FROM articles WHERE duplicate_of IS NULL"),
            "exact_duplicates": one("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL"),
            "near_duplicates": one("SELECT count(*) FROM articles WHERE near_duplicate_of IS NOT NULL"),
            "chunks": one("SELECT count(*) FROM chunks"),
            "files": one("SELECT count(*) FROM files"),
            "outlets": one("SELECT count(DISTINCT source) FROM articles WHERE source != ''"),
            "date_range": [first, last] if first else None,
        }

    # --- the library's view ------------------------------------------------------------------
    def documents(self, *, path: str | None = None, article_id: str | None = None) -> list[tuple]:
        """Per article, ordered by file path: (id, title, source, published_at, url, path, chunk
        count, id of the article it exactly duplicates or None); optionally only one file's or one id's."""
        column, value = ("a.path", path) if path is not None else ("a.id", article_id)
        where = f"WHERE {column} = ?" if value is not None else ""
        return self.db.execute(
            "SELECT a.id, a.title, a.source, a.published_at, a.url, a.path, count(c.id), a.duplicate_of"
            f" FROM articles a LEFT JOIN chunks c ON c.article_id = a.id {where} GROUP BY a.id ORDER BY a.path, a.id",
            () if value is None else (value,),
        ).fetchall()

    def paths_with_hash(self, sha256: str) -> list[str]:
        """Corpus files whose content has this SHA-256."""
        return [row[0] for row in self.db.execute("SELECT path FROM files WHERE sha256 = ? ORDER BY path", (sha256,))]

    def outlets(self) -> list[tuple[str, int]]:
        return list(
            self.db.execute(
                "SELECT source, count(*) FROM articles WHERE source != '' AND duplicate_of IS NULL"
                " GROUP BY source ORDER BY count(*) DESC, source"
            )
        )
