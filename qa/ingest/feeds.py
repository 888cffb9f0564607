"""What is at a URL, and which articles does a feed or sitemap list? Kinds are told apart by
content (the root element), not by the URL or the content type, which servers often get wrong.

RSS and Atom go through feedparser (dates of each item, the channel's title as the outlet).
Sitemaps are read with lxml, entities and network access off: trafilatura's sitemap helper fetches
by itself (past our address guard) and keeps only the URLs, while a news sitemap's
`<news:publication_date>`, `<news:name>` and `<lastmod>` are what decide what to fetch again.
"""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from lxml import etree

from qa.errors import FetchError

ARTICLE, FEED, SITEMAP = "article", "feed", "sitemap"
FEED_ROOTS = frozenset({"rss", "feed", "RDF", "channel"})
SITEMAP_ROOTS = frozenset({"urlset", "sitemapindex"})
MAX_ITEMS = 5000  # items read from one feed or sitemap
_NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


@dataclass(frozen=True)
class FeedItem:
    """An article a feed or sitemap lists, with what it says about it ("" when it says nothing)."""

    url: str
    title: str = ""
    published_at: str = ""
    updated_at: str = ""
    outlet: str = ""

    @property
    def version(self) -> str:
        """When the listing says the article last changed (its update date, else its publication date)."""
        return self.updated_at or self.published_at


@dataclass(frozen=True)
class Listing:
    """A feed or sitemap read: the articles it lists, the child sitemaps of an index, and a
    problem worth reporting even though items were recovered (malformed XML)."""

    kind: str
    items: tuple[FeedItem, ...] = ()
    sitemaps: tuple[FeedItem, ...] = ()
    warning: str = ""


def detect_kind(body: bytes, content_type: str = "") -> str:
    """FEED, SITEMAP or ARTICLE, from the document's root element (JSON Feed by its content type)."""
    if content_type in ("application/feed+json", "application/json") or body.lstrip()[:1] == b"{":
        return FEED
    root = _root_name(body)
    if root in SITEMAP_ROOTS:
        return SITEMAP
    if root in FEED_ROOTS:
        return FEED
    return ARTICLE


def _root_name(body: bytes) -> str:
    """The local name of the first element, read as XML; "" when it does not start as XML does."""
    parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True, recover=True)
    try:
        parser.feed(body[:65536])
        for _, element in parser.read_events():
            return etree.QName(element).localname
    except etree.XMLSyntaxError:
        return ""
    return ""


def read_feed(body: bytes, url: str, content_type: str = "") -> Listing:
    """The articles an RSS, Atom or JSON feed lists; FetchError when nothing can be read from it."""
    import feedparser

    parsed = feedparser.parse(body, response_headers={"content-location": url, "content-type": content_type or "application/xml"})
    outlet = " ".join(str(parsed.feed.get("title", "")).split())
    items = []
    for entry in parsed.entries[:MAX_ITEMS]:
        link = entry.get("link") or next((l.get("href") for l in entry.get("links", []) if l.get("href")), "")
        if not link:
            continue
        items.append(FeedItem(
            url=link.strip(), title=" ".join(str(entry.get("title", "")).split()),
            published_at=_iso(entry.get("published_parsed")),
            # dict.get: feedparser's own get maps a missing update date to the publication date, with a warning
            updated_at=_iso(dict.get(entry, "updated_parsed")),
            outlet=outlet,
        ))
    problem = ""
    # a declared encoding that had to be overridden does not make a feed unreadable
    if parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride):
        problem = f"malformed feed XML ({_describe(parsed.get('bozo_exception'))})"
        if not items:
            raise FetchError(f"{url}: {problem}; no items could be read")
        problem += f"; {len(items)} items recovered"
    return Listing(FEED, tuple(items), warning=problem)


def read_sitemap(body: bytes, url: str) -> Listing:
    """The articles a sitemap (or Google News sitemap) lists, or the child sitemaps of a sitemap index."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as error:
        raise FetchError(f"{url}: malformed sitemap XML ({error})") from None
    text = lambda node, path: " ".join((node.findtext(path, "", _NS) or "").split())  # noqa: E731
    if etree.QName(root).localname == "sitemapindex":
        children = [FeedItem(text(n, "sm:loc"), updated_at=_normal_date(text(n, "sm:lastmod")))
                    for n in root.findall("sm:sitemap", _NS)[:MAX_ITEMS]]
        return Listing(SITEMAP, sitemaps=tuple(c for c in children if c.url))
    items = []
    for node in root.findall("sm:url", _NS)[:MAX_ITEMS]:
        loc = text(node, "sm:loc")
        if loc:
            items.append(FeedItem(
                loc, title=text(node, "news:news/news:title"),
                published_at=_normal_date(text(node, "news:news/news:publication_date")),
                updated_at=_normal_date(text(node, "sm:lastmod")),
                outlet=text(node, "news:news/news:publication/news:name"),
            ))
    return Listing(SITEMAP, tuple(items))


def read_listing(body: bytes, url: str, content_type: str = "") -> Listing:
    """A feed or sitemap, whichever the body is."""
    kind = detect_kind(body, content_type)
    if kind == SITEMAP:
        return read_sitemap(body, url)
    if kind == FEED:
        return read_feed(body, url, content_type)
    raise FetchError(f"{url}: not a feed or sitemap (an HTML page?); give an RSS/Atom feed or a sitemap URL")


def _describe(error: object) -> str:
    line = getattr(error, "getLineNumber", lambda: None)()
    message = str(error).split("\n")[0] or type(error).__name__
    return f"line {line}: {message}" if line else message


def _iso(parsed: time.struct_time | None) -> str:
    """feedparser's UTC struct_time as ISO 8601."""
    if not parsed:
        return ""
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _normal_date(value: str) -> str:
    """A W3C datetime ("2024-03-05", "2024-03-05T10:00:00+01:00") as UTC ISO 8601; "" when unreadable."""
    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if parsed.tzinfo is None:
        return parsed.strftime("%Y-%m-%dT%H:%M:%SZ") if "T" in value else parsed.date().isoformat()
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
