"""Following a simulated news site on loopback: first run, conditional re-checks, edits, dropped
items, failing sources, robots.txt, the per-host delay and retries."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from qa.errors import ConfigError, FetchError, UnsafeURLError
from qa.index import generations
from qa.index.build import ingest_corpus
from qa.index.follow import REVISIONS_DIR, WEB_DIR, Follower, parse_every, record_path
from qa.index.follow_state import local_state
from qa.index.store import Store
from qa.ingest.addresses import AddressPolicy
from qa.ingest.fetch import Fetcher, FetchLimits, gunzip
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

    # An item that leaves its feed stays in the index (the feed was read again, without it).
    site.dropped.add(5)
    mark = len(site.requests)
    fourth = follower.run(force=True)
    assert ("/feeds/world.rss", True, 200) in site.requests[mark:]
    assert next(s.listed for s in follower.sources() if s.url == site.url("/feeds/world.rss")) == 79
    assert fourth.errors == [] and fourth.written == [] and fourth.ingest is None
    store = open_store(tmp_path)
    assert any(a.url == site.article_url(5) for a in store.articles())
    assert (tmp_path / "corpus" / record_path(site.article_url(5))).exists()
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
    assert "decompresses to over the limit of 5,000,000 bytes" in errors["/broken/bomb.xml.gz"]
    assert errors[site.article_url(42).removeprefix(site.base)] == ""
    assert len(report.errors) == 5 and report.ingest is not None and report.ingest.added == 1
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


def test_a_gzipped_sitemap_index_and_its_gzipped_sitemaps_are_read(site, tmp_path, embedder) -> None:
    site.dropped.update(set(range(ARTICLES)) - {1, 2, 160, 161})  # four articles listed: a short ingest
    follower = make_follower(tmp_path, embedder)
    follower.add(site.url("/sitemap_index.xml.gz"))  # gzip bytes served as application/xml
    report = follower.run(force=True)
    assert report.errors == [] and report.ingest is not None and report.ingest.added == 4
    [source] = follower.sources()
    assert (source.kind, source.listed, source.new, source.last_error) == ("sitemap", 4, 4, "")
    children = {path: status for path, _, status in site.requests if path.startswith("/sitemaps/")}
    assert children == {"/sitemaps/news.xml.gz": 200, "/sitemaps/pages.xml.gz": 200}  # application/x-gzip
    store = open_store(tmp_path)
    found = {a.url: (a.source, a.published_at[:10]) for a in store.articles()}
    store.close()
    outlets = {1: "Harbour Herald", 2: "Harbour Herald", 160: "Harbour Wire", 161: "Harbour Wire"}
    assert found == {site.article_url(i): (outlet, published(i).isoformat()) for i, outlet in outlets.items()}
    mark = len(site.requests)
    assert follower.run(force=True).written == []
    assert site.requests[mark:] == [("/sitemap_index.xml.gz", True, 304)]  # gzipped listings are conditional too


def test_gunzip_reads_within_the_limit_only() -> None:
    body = b"<urlset>" + b"<url><loc>https://news.example/a</loc></url>" * 100 + b"</urlset>"
    packed = gzip.compress(body, mtime=0)
    assert gunzip(packed, len(body)) == body
    assert gunzip(packed + gzip.compress(b"<!-- more -->"), 10_000) == body + b"<!-- more -->"  # several members
    for data, limit, message in [
        (packed, len(body) - 1, f"decompresses to over the limit of {len(body) - 1:,} bytes"),
        (gzip.compress(b" " * 50_000_000), 1_000_000, "decompresses to over the limit of 1,000,000 bytes"),
        (packed[:-12], 10_000, "cut short"),
        (b"\x1f\x8b\x00garbage", 10_000, "cannot be decompressed"),
    ]:
        with pytest.raises(FetchError, match=message):
            gunzip(data, limit, "https://news.example/sitemap.xml.gz")


def test_redirect_and_content_type_limits(site) -> None:
    site.redirects.update({"/loop/a": "/loop/b", "/loop/b": "/loop/a"})
    fetcher = Fetcher(loopback_policy(), FetchLimits(timeout=1.0, retries=0, host_delay=0.0, max_redirects=3))
    with pytest.raises(FetchError, match="more than 3 redirects"):
        fetcher.get(site.url("/loop/a"))
    assert [path for path, _, _ in site.requests if path.startswith("/loop/")] == ["/loop/a", "/loop/b"] * 2
    with pytest.raises(FetchError, match="content type image/png is not one that is read"):
        fetcher.get(site.url("/media/logo.png"))


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
