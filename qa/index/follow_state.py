"""Where is what the follower knows kept? Followed sources, the articles they brought in (with the
validators for conditional requests) and robots.txt files, as JSON values under (kind, key) in the
index's store: `follow.sqlite` in the index folder (beside the generations, so it is not copied
into each one), or rows of the Milvus state collection ("follow-<kind>:<sha1 of key>"), so
every machine writing to one Milvus index shares one follow state."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from qa.ingest.fetch import CachedRobots, Validators

if TYPE_CHECKING:
    from qa.index.milvus_store import MilvusStore

STATE_FILE = "follow.sqlite"
_MAX_VALUE = 60_000  # characters; the Milvus state collection holds up to 65,535 per value
T = TypeVar("T")


@dataclass(frozen=True)
class Source:
    """A followed feed, sitemap or page, and how its last check went."""

    id: str
    url: str
    every_s: int = 900
    added_at: str = ""
    kind: str = ""  # feed, sitemap or article, as last read
    title: str = ""  # the feed's own title
    etag: str = ""
    last_modified: str = ""
    last_fetch: str = ""  # when it was last checked (UTC, ISO 8601)
    last_success: str = ""
    last_error: str = ""  # "" when the last check went well
    listed: int = 0  # items its listing held at the last read
    new: int = 0  # articles fetched for the first time at the last check
    changed: int = 0  # articles fetched again at the last check because they had changed
    failed: int = 0  # items that could not be fetched or read at the last check

    @property
    def validators(self) -> Validators:
        return Validators(self.etag, self.last_modified)


@dataclass(frozen=True)
class Item:
    """A URL a listing named (an article, or a child sitemap of an index) and what was fetched of it."""

    url: str
    source_id: str
    path: str = ""  # corpus file of its record; "" for a child sitemap
    versions: dict[str, str] = field(default_factory=dict)  # source id -> the date its listing gave, as last seen
    etag: str = ""
    last_modified: str = ""
    fetched_at: str = ""

    @property
    def validators(self) -> Validators:
        return Validators(self.etag, self.last_modified)


def source_id(url: str) -> str:
    return hashlib.sha1(url.encode()).hexdigest()[:12]


class KeyValues(Protocol):
    """JSON values under (kind, key): the two backends differ only here."""

    def values(self, kind: str) -> list[str]: ...
    def put(self, kind: str, key: str, value: str) -> None: ...
    def delete(self, kind: str, key: str) -> None: ...


class FollowState:
    """Typed reads and writes of the follow state over a `KeyValues` backend."""

    def __init__(self, backend: KeyValues) -> None:
        self.backend = backend

    def sources(self) -> list[Source]:
        return sorted(self._all("source", Source), key=lambda s: (s.added_at, s.url))

    def put_source(self, source: Source) -> None:
        self._put("source", source.id, source)

    def remove_source(self, source: Source) -> None:
        self.backend.delete("source", source.id)

    def items(self) -> dict[str, Item]:
        return {item.url: item for item in self._all("item", Item)}

    def put_item(self, item: Item) -> None:
        self._put("item", item.url, item)

    def articles_per_source(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self._all("item", Item):
            if item.path:
                counts[item.source_id] = counts.get(item.source_id, 0) + 1
        return counts

    def flag(self, name: str) -> bool:
        return any(json.loads(v).get("name") == name for v in self.backend.values("flag"))

    def set_flag(self, name: str, on: bool) -> None:
        if on:
            self.backend.put("flag", name, json.dumps({"name": name}))
        else:
            self.backend.delete("flag", name)

    # RobotsCache for the fetcher: robots.txt files survive between runs
    def get_robots(self, origin: str) -> CachedRobots | None:
        for value in self.backend.values("robots"):
            data = json.loads(value)
            if data.pop("origin") == origin:
                return CachedRobots(data["text"], data["fetched_at"], Validators(**data["validators"]), data["status"])
        return None

    def set_robots(self, origin: str, robots: CachedRobots) -> None:
        data = {"origin": origin, **dataclasses.asdict(robots)}
        data["text"] = data["text"][:_MAX_VALUE // 2]  # RFC 9309 lets a crawler stop reading at 500 KiB
        self.backend.put("robots", origin, json.dumps(data, ensure_ascii=False))

    def _all(self, kind: str, cls: type[T]) -> list[T]:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return [cls(**{k: v for k, v in json.loads(value).items() if k in names}) for value in self.backend.values(kind)]

    def _put(self, kind: str, key: str, value: object) -> None:
        self.backend.put(kind, key, json.dumps(dataclasses.asdict(value), ensure_ascii=False))  # type: ignore[call-overload]


class SqliteValues:
    """The local backend: one small SQLite file in the index folder."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self.db.execute("CREATE TABLE IF NOT EXISTS follow (kind TEXT, key TEXT, value TEXT NOT NULL,"
                        " PRIMARY KEY (kind, key))")
        self.db.commit()
        self._lock = threading.Lock()

    def values(self, kind: str) -> list[str]:
        with self._lock:
            return [row[0] for row in self.db.execute("SELECT value FROM follow WHERE kind = ? ORDER BY key", (kind,))]

    def put(self, kind: str, key: str, value: str) -> None:
        with self._lock, self.db:
            self.db.execute("INSERT OR REPLACE INTO follow VALUES (?, ?, ?)", (kind, key, value))

    def delete(self, kind: str, key: str) -> None:
        with self._lock, self.db:
            self.db.execute("DELETE FROM follow WHERE kind = ? AND key = ?", (kind, key))

    def close(self) -> None:
        self.db.close()


class MilvusValues:
    """The Milvus backend: rows of the index's state collection (created when missing)."""

    def __init__(self, store: MilvusStore) -> None:
        self.store = store
        self._ready = False

    def _collection(self) -> str:
        if not self._ready:
            self.store.create(0, kinds=("state",))
            self._ready = True
        return self.store.collection("state")

    def values(self, kind: str) -> list[str]:
        self._collection()
        return [row["value"] for row in self.store.rows("state", f'pk like "follow-{kind}:%"', ["value"])]

    def put(self, kind: str, key: str, value: str) -> None:
        row = {"pk": _pk(kind, key), "born": 0, "died": 0, "value": value[:65535], "_unused": [0.0, 0.0]}
        self.store.client.upsert(self._collection(), [row])

    def delete(self, kind: str, key: str) -> None:
        self.store.client.delete(self._collection(), ids=[_pk(kind, key)])


def _pk(kind: str, key: str) -> str:
    return f"follow-{kind}:{hashlib.sha1(key.encode()).hexdigest()}"


def local_state(index_dir: Path) -> FollowState:
    return FollowState(SqliteValues(index_dir / STATE_FILE))


def milvus_state(store: MilvusStore) -> FollowState:
    return FollowState(MilvusValues(store))
