"""How is the index kept in Milvus (QA_STORE=milvus)? Three collections and one state record.

    <name>_chunks    a row per chunk: text, its keyword tokens (a BM25 Function makes the sparse
                     vector in the engine), the dense vector, and its article's facts (outlet, day,
                     title, url, story) so one engine query returns everything retrieval needs
    <name>_articles  a row per article: metadata, content hash, MinHash, duplicate links
    <name>_files     a row per corpus file: path and SHA-256, for incremental ingest
    <name>_terms     a row per keyword token: how many chunks hold it (for the sentence re-rank's
                     idf weights; kept by the ingest, as engines do not expose document frequencies)
    <name>_state     a row per committed generation (older ones deleted after each commit): the
                     live generation, the index's settings and summary (JSON); and the writer's
                     lease (`milvus_lease`)

Crash safety: generation fields, switched by one write. Every row carries `born` (the generation
that wrote it) and `died` (the generation that retired it; 0 while alive). Readers see a row when
`floor <= born <= live and (died == 0 or died > live)`, reading `live` and `floor` from the state
row. A writer works on generation live+1: it inserts new rows with born = live+1 and marks the rows
it replaces died = live+1 (written anew under a mirrored key, the original then deleted: no update
in place, see `retire`), which readers at `live` still count as alive; only then does it insert the
generation's state row, a single-row write that switches every reader to the new generation at once. A
crash before that leaves the previous generation searchable; the next writer first deletes rows
born after `live` and revives rows marked died after `live` (`recover`). After the switch, dead
rows are deleted. Collection aliases would also give atomic switches, but need a full copy of the
collection per ingest; generation fields keep ingest incremental.
"""

from __future__ import annotations

import json
import logging
import os
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.errors import ConfigError, IndexMissingError
from qa.index.store import StoredChunk
from qa.types import Article

COLLECTIONS = ("chunks", "articles", "files", "terms", "state")
VERSIONED = ("chunks", "articles", "files", "terms")
# Engine-side analyzer: the app stores and searches pre-tokenized (stemmed, stop-word-free) text,
# so a plain whitespace/word split in the engine reproduces the local backend's BM25 exactly.
ANALYZER = {"tokenizer": "standard", "filter": ["lowercase"]}
BM25_PARAMS = {"bm25_k1": 1.5, "bm25_b": 0.75}  # bm25s' defaults, as the local keyword index uses
CHUNK_FIELDS = [
    "chunk_id", "article_id", "position", "start", "end", "text", "title", "source", "url",
    "published_at", "story",
]
FACT_FIELDS = ["article_id", "story", "source", "day"]
ARTICLE_FIELDS = [
    "article_id", "path", "title", "source", "url", "published_at", "author", "category", "place",
    "content_hash", "duplicate_of", "near_duplicate_of", "minhash",
]
_BATCH = 1000


@dataclass(frozen=True)
class State:
    """The state row: which generation readers see, and what the index holds."""

    live: int = 0
    floor: int = 0
    next_chunk_id: int = 1
    meta: dict[str, str] | None = None
    summary: dict[str, Any] | None = None  # counts, outlets, newest date (written at each switch)

    def visible(self) -> str:
        """The filter expression of rows in this generation."""
        return f"born >= {self.floor} and born <= {self.live} and (died == 0 or died > {self.live})"


def _is_server(uri: str) -> bool:
    return uri.startswith(("http://", "https://", "tcp://", "grpc://"))


def _check_lite_file(uri: str) -> None:
    """Milvus Lite 2.5 keeps a database in one file whose name is short and plain."""
    path = Path(uri)
    if path.is_dir():
        raise ConfigError(f"{uri} is a folder (a database of Milvus Lite 3, which this release no longer uses); "
                          "point QA_MILVUS_URI at a new file, e.g. index/milvus.db, and run `qa ingest` again.")
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,36}", path.name):
        raise ConfigError(f"Milvus Lite database names are 1-36 letters, digits, '.', '_' or '-': {path.name!r} "
                          "is not; choose another QA_MILVUS_URI.")
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)


def primary_key(kind: str) -> str:
    return "chunk_id" if kind == "chunks" else "pk"


def _mirrored(key: int | str) -> int | str:
    """The key a retired row is written under, and back: chunk ids change sign, text keys a "~"."""
    if isinstance(key, int):
        return -key
    return key[:-1] if key.endswith("~") else f"{key}~"


def literal(values: Iterable[str | int]) -> str:
    """A Milvus list literal (strings JSON-quoted)."""
    return json.dumps(list(values), ensure_ascii=False)


class MilvusStore:
    """A connection to one Milvus (Lite file, server or cluster) and the index's collections."""

    def __init__(self, uri: str, token: str = "", name: str = "qa") -> None:
        self.uri = uri
        self.token = token
        self.name = name
        self._client = None

    @property
    def client(self):  # noqa: ANN201 - pymilvus is imported lazily
        if self._client is None:
            # gRPC's C core logs the Milvus Lite engine's keepalive GOAWAYs as errors; pymilvus
            # raises real errors as exceptions. milvus-lite 2.5 imports the deprecated pkg_resources.
            os.environ.setdefault("GRPC_VERBOSITY", "NONE")
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
            from pymilvus import MilvusClient

            logging.getLogger("pymilvus").setLevel(logging.ERROR)
            if not _is_server(self.uri):
                _check_lite_file(self.uri)
            try:
                self._client = MilvusClient(self.uri, token=self.token) if self.token else MilvusClient(self.uri)
            except Exception as error:  # pymilvus raises its own exception types for both cases
                if _is_server(self.uri):
                    raise ConfigError(f"Cannot reach Milvus at {self.uri}: {error}") from error
                raise ConfigError(
                    f"Milvus Lite could not open {self.uri}: another process holds it (one process per file; "
                    "share it with `python -m qa.index.milvus_server` and a http:// URI), or it is damaged."
                ) from error
        return self._client

    def collection(self, kind: str) -> str:
        return f"{self.name}_{kind}"

    def where(self) -> str:
        return f"{self.uri} (collections {self.name}_*)"

    # --- schema ---------------------------------------------------------------------------
    def exists(self) -> bool:
        return all(self.client.has_collection(self.collection(kind)) for kind in COLLECTIONS)

    def create(self, dim: int, kinds: Iterable[str] = COLLECTIONS) -> None:
        """Create the collections that are missing (dense vectors of `dim` dimensions) and load them."""
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        client = self.client
        for kind in kinds:
            name = self.collection(kind)
            if client.has_collection(name):
                client.load_collection(name)
                continue
            schema = MilvusClient.create_schema(auto_id=False)
            index = client.prepare_index_params()
            text = lambda field, n, **kw: schema.add_field(field, DataType.VARCHAR, max_length=n, **kw)  # noqa: E731
            if kind == "chunks":
                schema.add_field("chunk_id", DataType.INT64, is_primary=True)
                for field in ("born", "died", "position", "start", "end", "day"):
                    schema.add_field(field, DataType.INT64)
                text("keyword", 65535, enable_analyzer=True, analyzer_params=ANALYZER)
                schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
                schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
                for field, n in (("text", 65535), ("title", 8192), ("url", 8192), ("source", 1024),
                                 ("article_id", 1024), ("story", 1024), ("published_at", 64), ("content_hash", 64)):
                    text(field, n)
                schema.add_function(Function(name="keyword_bm25", function_type=FunctionType.BM25,
                                             input_field_names=["keyword"], output_field_names=["sparse"]))
                index.add_index("dense", index_type="FLAT", metric_type="IP")
                index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=BM25_PARAMS)
            else:
                text("pk", 2048, is_primary=True)
                schema.add_field("born", DataType.INT64)
                schema.add_field("died", DataType.INT64)
                if kind == "articles":
                    for field in ARTICLE_FIELDS:
                        text(field, 8192)
                elif kind == "files":
                    text("path", 4096)
                    text("sha256", 64)
                    schema.add_field("size", DataType.INT64)
                elif kind == "terms":
                    text("term", 1024)
                    schema.add_field("df", DataType.INT64)
                else:
                    text("value", 65535)
                schema.add_field("_unused", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants a vector field
                index.add_index("_unused", index_type="FLAT", metric_type="L2")
            client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")
            client.load_collection(name)

    def load(self) -> None:
        """Load the collections for search (a no-op when they are loaded)."""
        for kind in COLLECTIONS:
            self.client.load_collection(self.collection(kind))

    def drop(self) -> None:
        for kind in COLLECTIONS:
            self.client.drop_collection(self.collection(kind))

    # --- the state row ----------------------------------------------------------------------
    def state(self) -> State | None:
        """The live state, or None when nothing was ever committed."""
        if not self.client.has_collection(self.collection("state")):
            return None
        self.client.load_collection(self.collection("state"))
        rows = self.client.query(self.collection("state"), filter='pk like "state%"', output_fields=["pk", "value"])
        return State(**json.loads(max(rows, key=lambda row: row["pk"])["value"])) if rows else None

    def require_state(self) -> State:
        state = self.state()
        if state is None:
            raise IndexMissingError(f"No index in Milvus at {self.where()} — run `qa ingest corpus/` first.")
        return state

    def switch(self, state: State) -> None:
        """Make `state` live: one single-row insert, the commit point of an ingest. Each generation
        has its own state row ("state-<live>", read as the greatest); the older ones are deleted
        only after it is written, so a reader always finds one. (Not an upsert: Milvus Lite 2.5's
        upsert is a delete then an insert, and a reader between them would find no index.) The
        written rows are flushed first, so sealed segments have their indexes."""
        for kind in VERSIONED:
            self.client.flush(self.collection(kind))
        pk = f"state-{state.live:012d}"
        value = json.dumps(state.__dict__, ensure_ascii=False)
        self.insert("state", [{"pk": pk, "born": 0, "died": 0, "value": value}])
        self.client.delete(self.collection("state"), filter=f'pk like "state%" and pk != "{pk}"')

    # --- writes -----------------------------------------------------------------------------
    def insert(self, kind: str, rows: list[dict[str, Any]]) -> None:
        if kind != "chunks":
            rows = [{**row, "_unused": [0.0, 0.0]} for row in rows]
        for begin in range(0, len(rows), _BATCH):
            self.client.insert(self.collection(kind), rows[begin : begin + _BATCH])

    def retire(self, kind: str, expr: str, generation: int) -> int:
        """Mark the rows matching `expr` died = `generation` (still visible to older generations).

        Never an update in place: each row is written again under its mirrored key (chunk id -n for
        n, "key~" for "key", and back when a recovery revives it), then the original is deleted.
        Milvus Lite 2.5's upsert is a delete then an insert, and a search between the two missed
        the rows; this way a reader sees every row throughout (for a moment, some twice)."""
        rows = self.rows(kind, expr, ["*"])
        key = primary_key(kind)
        for row in rows:
            row.pop("sparse", None)
            row["died"] = generation
            row[key] = _mirrored(row[key])
        self.insert(kind, rows)
        for begin in range(0, len(rows), _BATCH):
            self.client.delete(self.collection(kind), ids=[_mirrored(row[key]) for row in rows[begin : begin + _BATCH]])
        return len(rows)

    def recover(self, state: State) -> None:
        """Undo what an interrupted ingest left: rows born after the live generation are deleted,
        rows it retired are alive again. Readers never saw either."""
        for kind in VERSIONED:
            self.client.delete(self.collection(kind), filter=f"born > {state.live}")
            key = primary_key(kind)
            copies = [row[key] for row in self.rows(kind, f"died > {state.live}", [key])]
            for begin in range(0, len(copies), _BATCH):  # a crash inside `retire`: the original is still there
                batch = [_mirrored(copy) for copy in copies[begin : begin + _BATCH]]
                kept = [row[key] for row in self.rows(kind, f"{key} in {literal(batch)}", [key])]
                if kept:
                    self.client.delete(self.collection(kind), ids=[_mirrored(original) for original in kept])
            self.retire(kind, f"died > {state.live}", 0)

    def purge(self, state: State) -> None:
        """Delete rows no generation at or after `state.live` can see."""
        for kind in VERSIONED:
            self.client.delete(self.collection(kind),
                               filter=f"born < {state.floor} or (died != 0 and died <= {state.live})")

    # --- reads ------------------------------------------------------------------------------
    def rows(self, kind: str, expr: str, fields: list[str]) -> list[dict[str, Any]]:
        """Every row matching `expr` (paged)."""
        iterator = self.client.query_iterator(self.collection(kind), batch_size=_BATCH, filter=expr,
                                              output_fields=fields)
        found: list[dict[str, Any]] = []
        try:
            while batch := iterator.next():
                found.extend(dict(row) for row in batch)
        finally:
            iterator.close()
        return found

    def documents(self, *, path: str | None = None, article_id: str | None = None) -> list[tuple]:
        """As `Store.documents`, in the live generation: per article, ordered by file path, (id,
        title, source, published_at, url, path, chunk count, id of the article it exactly
        duplicates or None); optionally only one file's or one id's."""
        state = self.state()
        if state is None:
            return []
        expr = state.visible()
        if path is not None:
            expr += f" and path == {json.dumps(path)}"
        elif article_id is not None:
            expr += f" and article_id == {json.dumps(article_id)}"
        articles = self.rows("articles", expr, ["article_id", "title", "source", "published_at", "url", "path",
                                                "duplicate_of"])
        if not articles:
            return []
        chunk_expr = state.visible()
        if path is not None or article_id is not None:
            chunk_expr += f" and article_id in {literal(a['article_id'] for a in articles)}"
        chunks = Counter(row["article_id"] for row in self.rows("chunks", chunk_expr, ["article_id"]))
        found = [(a["article_id"], a["title"], a["source"], a["published_at"], a["url"], a["path"],
                  chunks.get(a["article_id"], 0), a["duplicate_of"] or None) for a in articles]
        return sorted(found, key=lambda row: (row[5], row[0]))

    def paths_with_hash(self, sha256: str) -> list[str]:
        """Corpus files (live generation) whose content has this SHA-256."""
        state = self.state()
        if state is None:
            return []
        rows = self.rows("files", f"{state.visible()} and sha256 == {json.dumps(sha256)}", ["path"])
        return sorted(row["path"] for row in rows)

    def count(self, kind: str, expr: str) -> int:
        return int(self.client.query(self.collection(kind), filter=expr, output_fields=["count(*)"])[0]["count(*)"])

    def chunks_by_id(self, chunk_ids: Iterable[int]) -> dict[int, StoredChunk]:
        ids = [int(i) for i in chunk_ids]
        if not ids:
            return {}
        rows = self.client.query(self.collection("chunks"), filter=f"chunk_id in {literal(ids)}",
                                 output_fields=CHUNK_FIELDS, limit=len(ids))
        return {
            row["chunk_id"]: StoredChunk(
                *(row[f] for f in CHUNK_FIELDS[:-1]), row["story"] if row["story"] != row["article_id"] else None
            )
            for row in rows
        }


class MilvusCatalog:
    """What the app shows about one generation in Milvus (stats, outlets, examples) and chunk reads."""

    def __init__(self, store: MilvusStore, state: State) -> None:
        self._store = store
        self._state = state

    def meta(self) -> dict[str, str]:
        return dict(self._state.meta or {})

    def counts(self) -> dict[str, object]:
        return dict((self._state.summary or {}).get("counts", {}))

    def outlets(self) -> list[tuple[str, int]]:
        return [(name, count) for name, count in (self._state.summary or {}).get("outlets", [])]

    def articles(self) -> Iterator[Article]:
        fields = ["article_id", "title", "source", "url", "published_at", "author", "category", "place", "path"]
        rows = self._store.rows("articles", self._state.visible(), fields)
        for row in sorted(rows, key=lambda r: (r["path"], r["article_id"])):
            yield Article(row["article_id"], row["title"], "", *(row[f] for f in fields[2:]))

    def chunks_by_id(self, chunk_ids: Iterable[int]) -> dict[int, StoredChunk]:
        return self._store.chunks_by_id(chunk_ids)
