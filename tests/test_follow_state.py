"""The follow state in both of the index's stores (SQLite beside the local generations, rows of
the Milvus state collection), the UI's header line and the background follower of `qa serve --follow`."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from qa.index.follow import Follower
from qa.index.follow_state import FollowState, Item, Source, local_state, milvus_state
from qa.index.build import IngestReport
from qa.ingest.fetch import CachedRobots, Validators
from qa.serving.background import BackgroundFollower
from qa.serving.ui import follow_line
from tests.newssite import NewsSite
from tests.test_follow import LIMITS, loopback_policy


def exercise(state: FollowState) -> None:
    """Every kind of record written, read back, replaced and deleted."""
    feed = Source("abc", "https://news.example/feed.xml", 900, "2024-01-01T00:00:00Z", etag='"v1"')
    state.put_source(feed)
    state.put_source(Source("def", "https://news.example/sitemap.xml", 3600, "2024-01-02T00:00:00Z"))
    state.put_item(Item("https://news.example/a", "abc", "web/news.example/1.json", {"abc": "2024-01-01"}, '"e"'))
    state.put_item(Item("https://news.example/child.xml", "def", ""))
    state.set_robots("https://news.example", CachedRobots("User-agent: *\nDisallow: /x\n", 1.0, Validators('"r"')))
    state.set_flag("pending_ingest", True)
    assert [s.id for s in state.sources()] == ["abc", "def"] and state.sources()[0].validators == Validators('"v1"', "")
    assert state.items()["https://news.example/a"].versions == {"abc": "2024-01-01"}
    assert state.articles_per_source() == {"abc": 1}
    assert state.get_robots("https://news.example").validators.etag == '"r"' and state.get_robots("https://other") is None
    state.put_source(Source("abc", "https://news.example/feed.xml", 60, "2024-01-01T00:00:00Z", last_error="HTTP 500"))
    assert [(s.every_s, s.last_error) for s in state.sources()][0] == (60, "HTTP 500")
    state.remove_source(state.sources()[1])
    assert [s.id for s in state.sources()] == ["abc"] and state.flag("pending_ingest")
    state.set_flag("pending_ingest", False)
    assert not state.flag("pending_ingest")


def test_local_state_lives_beside_the_generations(tmp_path: Path) -> None:
    exercise(local_state(tmp_path / "index"))
    assert (tmp_path / "index" / "follow.sqlite").exists()
    assert local_state(tmp_path / "index").sources()[0].id == "abc"  # read again by a new process


def test_milvus_state_lives_in_the_state_collection(tmp_path: Path) -> None:
    pytest.importorskip("milvus_lite")
    from milvus_lite.server_manager import server_manager_instance

    from qa.index.milvus_store import MilvusStore

    store = MilvusStore(str(tmp_path / "milvus.db"))
    try:
        exercise(milvus_state(store))
        assert store.state() is None  # follow rows are not an index generation
    finally:
        server_manager_instance.release_server(str(tmp_path / "milvus.db"))


def test_the_header_line_reports_sources_and_failures() -> None:
    assert follow_line([], {}) == ""
    ok = Source("a", "https://a.example/feed", last_fetch="2024-03-05T10:00:00Z")
    failing = Source("b", "https://b.example/<feed>", last_fetch="2024-03-05T09:00:00Z", last_error="HTTP 500")
    line = follow_line([ok, failing], {"a": 7})
    assert "Following **2 sources** (7 articles), last fetch 2024-03-05 10:00:00 UTC" in line
    assert "1 failing (e.g. https://b.example/&lt;feed&gt;: HTTP 500)" in line


def test_serve_follow_checks_sources_in_the_background(tmp_path: Path) -> None:
    site = NewsSite().start()
    ingests: list[int] = []
    try:
        follower = Follower(tmp_path / "corpus", local_state(tmp_path / "index"),
                            lambda: ingests.append(1) or IngestReport(added=1), loopback_policy(), LIMITS)
        follower.add(site.article_url(9))
        background = BackgroundFollower(follower, idle_s=0.2)
        background.start()
        deadline = time.monotonic() + 20
        while not ingests and time.monotonic() < deadline:
            time.sleep(0.05)
        background.stop()
        assert ingests == [1] and follower.sources()[0].last_fetch and follower.next_due() > 800
        assert len(list((tmp_path / "corpus" / "web").rglob("*.json"))) == 1
    finally:
        site.stop()
