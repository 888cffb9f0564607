"""Following a simulated news site on loopback: first run, conditional re-checks, edits, dropped
items, failing sources, robots.txt, the per-host delay and retries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from qa.errors import ConfigError, UnsafeURLError
from qa.index import generations
from qa.index.build import ingest_corpus
from qa.index.follow import REVISIONS_DIR, WEB_DIR, Follower, parse_every
from qa.index.follow_state import local_state
from qa.index.store import Store
from qa.ingest.addresses import AddressPolicy
from qa.ingest.fetch import Fetcher, FetchLimits
from qa.retrieval.retrieve import Retriever
from tests.newssite import ARTICLES, FAILING, FEEDS, HOST, NewsSite, published, spy_word

LIMITS = FetchLimits(timeout=1.0, retries=1, backoff=0.01, host_delay=0.0)


def loopback_resolver(host: str, port: int) -> list[str]:
    """The stub resolver: the simulated site's host name is 127.0.0.1; nothing else resolves."""
    if host == HOST:
        return ["127.0.0.1"]
    raise UnsafeURLError(f"cannot resolve host {host!r} (stub resolver)")


def loopback_policy() -> AddressPolicy:
    return AddressPolicy(allow=["127.0.0.1"], resolver=loopback_resolver)


@pytest.fixture
def site() -> Iterator[NewsSite]:
    running = NewsSite().start()
    yield running
    running.stop()


def make_follower(root: Path, embedder, limits: FetchLimits = LIMITS) -> Follower:  # noqa: ANN001
    corpus, index = root / "corpus", root / "index"
    return Follower(corpus, local_state(index), lambda: ingest_corpus(corpus, index, embedder), loopback_policy(), limits)


def open_store(root: Path) -> Store:
    return Store(generations.require_generation(root / "index") / generations.STORE_FILE, readonly=True)


@pytest.mark.slow  # 200 articles embedded: about 40 s on two busy cores
def test_first_run_ingests_every_article_once_then_only_conditional_requests(site, tmp_path, embedder) -> None:
    follower = make_follower(tmp_path, embedder)
    for path in (*FEEDS, "/sitemap_index.xml"):
        follower.add(site.url(path))

    first = follower.run(force=True)
    assert first.errors == [] and len(set(first.written)) == ARTICLES
    assert first.ingest is not None and first.ingest.added == ARTICLES
    store = open_store(tmp_path)
    articles = {a.url: a for a in store.articles()}
    assert len(articles) == ARTICLES  # each article once, though several listings name it
    for i in range(ARTICLES):
        article = articles[site.article_url(i)]
        outlet = "Harbour Herald" if i < 100 else "Coast Courier" if i < 150 else "Harbour Herald Live" if i < 160 else "Harbour Wire"
        assert (article.source, article.published_at[:10]) == (outlet, published(i).isoformat()), i
        assert spy_word(i) in article.body.lower()
    assert articles[site.article_url(3)].author == "Reporter 3"
    counts = {s.url.removeprefix(site.base): (s.kind, s.listed, s.new, s.failed) for s in follower.sources()}
    assert counts["/feeds/world.rss"] == ("feed", 80, 80, 0) and counts["/sitemap_index.xml"][0] == "sitemap"
    assert sum(follower.articles().values()) == ARTICLES

    mark = len(site.requests)
    second = follower.run(force=True)
    made = site.requests[mark:]
    assert len(made) == 4 and all(conditional and status == 304 for _, conditional, status in made), made
    assert second.ingest is None and second.written == [] and second.requests["not_modified"] == 4

    # An edited article is fetched again (conditionally) and re-ingested; its old chunks retire.
    hit = Retriever(tmp_path / "index", embedder).search(f"{spy_word(120)} project", k=1)[0]
    old_chunks = {c.position: c for c in store.chunks_of(hit.article_id)}
    store.close()
    site.edit(120)
    mark = len(site.requests)
    third = follower.run(force=True)
    fetched = [(path, conditional, status) for path, conditional, status in site.requests[mark:] if path.startswith("/news/")]
    assert fetched == [(site.article_url(120).removeprefix(site.base), True, 200)]
    assert third.ingest is not None and (third.ingest.added, third.ingest.removed) == (1, 1)
    store = open_store(tmp_path)
    assert store.article(hit.article_id) is None and store.chunks_of(hit.article_id) == []  # retired
    edited = next(a for a in store.articles() if a.url == site.article_url(120))
    assert "Correction 1" in edited.body and edited.id != hit.article_id
    new_hit = Retriever(tmp_path / "index", embedder).search(f"{spy_word(120)} correction revised tonnes", k=1)[0]
    assert new_hit.article_id == edited.id and old_chunks
    # The text that was shown and cited stays on disk, and the old citation's span still holds its quote.
    [revision] = (tmp_path / "corpus" / WEB_DIR / REVISIONS_DIR).rglob("*.json")
    kept = json.loads(revision.read_text())
    assert kept["body"][hit.start : hit.end] == hit.text and "Correction" not in kept["body"]
    store.close()

    # An item that leaves its feed stays in the index.
    site.dropped.add(5)
    fourth = follower.run(force=True)
    assert fourth.errors == [] and fourth.written == []
    store = open_store(tmp_path)
    assert any(a.url == site.article_url(5) for a in store.articles())
    store.close()


def test_each_failing_source_is_reported_and_the_rest_succeed(site, tmp_path, embedder) -> None:
    site.slow_seconds = 1.5
    follower = make_follower(tmp_path, embedder, FetchLimits(timeout=0.5, retries=1, backoff=0.01, host_delay=0.0))
    for path in FAILING:
        follower.add(site.url(path))
    follower.add(site.article_url(42))  # a page followed on its own
    report = follower.run(force=True)
    errors = {s.url.removeprefix(site.base): s.last_error for s in follower.sources()}
    assert "HTTP 500 (after 2 tries)" in errors["/broken/500.xml"]
    assert "timed out after 0.5 s" in errors["/broken/slow.xml"]
    assert "over the limit of 5,000,000 bytes" in errors["/broken/big.html"]
    assert "malformed feed XML" in errors["/broken/malformed.xml"]
    assert errors[site.article_url(42).removeprefix(site.base)] == ""
    assert len(report.errors) == 4 and report.ingest is not None and report.ingest.added == 1
    store = open_store(tmp_path)
    assert [a.url for a in store.articles()] == [site.article_url(42)]
    store.close()


def test_the_same_story_at_a_second_url_is_linked_as_a_near_duplicate(site, tmp_path, embedder) -> None:
    follower = make_follower(tmp_path, embedder)
    report = follower.fetch_urls([site.article_url(11), site.url("/syndicated/011/copy.html")])
    assert report.errors == [] and len(report.written) == 2 and report.ingest.added == 2
    store = open_store(tmp_path)
    rows = {a.source: a.id for a in store.articles()}
    assert set(rows) == {"Harbour Herald", "Bay Gazette"}
    links = dict(store.db.execute("SELECT id, near_duplicate_of FROM articles"))
    assert {links[rows["Harbour Herald"]], links[rows["Bay Gazette"]]} - {None} in ({rows["Harbour Herald"]}, {rows["Bay Gazette"]})
    assert follower.sources() == []  # fetched once, not followed
    store.close()


def test_robots_txt_is_obeyed(site, tmp_path) -> None:
    fetcher = Fetcher(loopback_policy(), LIMITS)
    with pytest.raises(Exception, match="robots.txt of news.test does not allow"):
        fetcher.get(site.url("/private/007/x.html"))
    assert [path for path, _, _ in site.requests] == ["/robots.txt"]  # the page itself was never asked for
    assert fetcher.get(site.article_url(7)).status == 200


def test_requests_to_one_host_wait_for_the_delay_and_retries_back_off(site) -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        now[0] += seconds

    fetcher = Fetcher(loopback_policy(), FetchLimits(host_delay=2.0, retries=2, backoff=0.5), clock=lambda: now[0], sleep=sleep)
    fetcher.get(site.article_url(1))  # robots.txt, then the page 2 s later
    assert slept == [2.0]
    with pytest.raises(Exception, match=r"HTTP 500 \(after 3 tries\)"):
        fetcher.get(site.url("/broken/500.xml"))
    # each try waits for the host's turn; the retries also back off 0.5 s, then 1 s
    assert slept[1:] == [2.0, 0.5, 1.5, 1.0, 1.0]


def test_interval_parsing() -> None:
    assert [parse_every(t) for t in ("15m", "2h", "1d", "90s", "600")] == [900, 7200, 86400, 90, 600]
    for bad in ("soon", "10s", "5 weeks"):
        with pytest.raises(ConfigError):
            parse_every(bad)


def test_newest_date_of_the_site_is_within_the_articles() -> None:
    assert published(ARTICLES - 1) > published(0) == date(2024, 1, 1)
