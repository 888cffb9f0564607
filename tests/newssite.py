"""A small news site on loopback for the follower's tests and benchmark: 200 article pages, two
RSS feeds, an Atom feed, a sitemap index with a news sitemap and a plain one (and the same gzipped:
`/sitemap_index.xml.gz`, gzip bytes served as XML, whose children are `.xml.gz` files served as
application/x-gzip), robots.txt, and sources that fail (a 500, a slow answer, a 10 MB page,
malformed XML, a gzip bomb). Every resource has an ETag
and a Last-Modified date and answers a matching conditional request with 304; every request is
logged.

Which page says what about itself:
    0-99     JSON-LD NewsArticle: publisher "Harbour Herald", datePublished, author
    100-149  og:site_name "Coast Courier", article:published_time (no JSON-LD)
    150-199  nothing: the Atom feed (150-159, "Harbour Herald Live") or the news sitemap
             (160-199, news:name "Harbour Wire") gives date and outlet
Article i was published on 2024-01-01 + i days and holds the spy word `spy_word(i)`.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import html
import json
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARTICLES = 200
HOST = "news.test"  # tests resolve it to 127.0.0.1 with a stub resolver
FEEDS = {"/feeds/world.rss": range(0, 80), "/feeds/business.rss": range(80, 140), "/feeds/live.atom": range(120, 160)}
NEWS_SITEMAP = range(160, 200)
PLAIN_SITEMAP = range(0, 50)
FAILING = ("/broken/500.xml", "/broken/slow.xml", "/broken/big.html", "/broken/malformed.xml", "/broken/bomb.xml.gz")
BOMB_BYTES = 12_000_000  # what the gzip bomb decompresses to (it is about 12 KB on the wire)
_WORDS = (
    "harbour council bridge ferry budget school storm river market mayor island tunnel railway vote "
    "festival museum hospital fishing lighthouse airport library stadium orchard vineyard quarry glacier "
    "canal garden factory theatre court election census drought harvest tourism pier shipyard tram "
    "reservoir wildfire pension strike merger lawsuit audit treaty summit protest parade concert exhibit"
).split()
_VERBS = "approved rejected delayed expanded funded inspected reopened closed praised questioned".split()


def spy_word(i: int) -> str:
    """A made-up word only article i holds."""
    syllables = ("zor", "vel", "quin", "brak", "thul", "mor", "dex", "plon", "gri", "sav")
    return "".join(syllables[int(d)] for d in f"{i:03d}") + "ith"


def published(i: int) -> date:
    return date(2024, 1, 1) + timedelta(days=i)


def article_text(i: int, edition: int = 0) -> list[str]:
    """Article i's paragraphs (a later edition adds a correction)."""
    rng = random.Random(i)
    paragraphs = []
    for p in range(4):
        sentences = []
        for _ in range(3):
            a, b, c = rng.sample(_WORDS, 3)
            sentences.append(f"The {a} {rng.choice(_VERBS)} the {b} plan near the {c} on day {rng.randint(1, 999)}.")
        paragraphs.append(" ".join(sentences))
    paragraphs[0] = f"Officials in {spy_word(i).capitalize()} said the {_WORDS[i % len(_WORDS)]} project is number {i}. " + paragraphs[0]
    if edition:
        paragraphs.append(f"Correction {edition}: the {spy_word(i)} figure was revised to {1000 + edition} tonnes.")
    return paragraphs


@dataclass
class Resource:
    body: bytes
    content_type: str
    modified: float

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass
class NewsSite:
    """The site's content (edit it between runs) and its request log."""

    port: int = 0
    host: str = HOST  # "127.0.0.1" where the code under test uses the system resolver (the CLI)
    editions: dict[int, int] = field(default_factory=dict)
    dropped: set[int] = field(default_factory=set)
    requests: list[tuple[str, bool, int]] = field(default_factory=list)  # (path, conditional, status)
    redirects: dict[str, str] = field(default_factory=dict)  # path -> Location (302)
    slow_seconds: float = 2.0
    _server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def article_url(self, i: int) -> str:
        return self.url(f"/news/{i:03d}/{spy_word(i)}.html")

    def edit(self, i: int) -> None:
        self.editions[i] = self.editions.get(i, 0) + 1

    def modified(self, i: int) -> date:
        return published(i) + timedelta(days=30 * self.editions.get(i, 0))

    # --- serving ------------------------------------------------------------------------------
    def start(self) -> "NewsSite":
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                site._answer(self)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?")[0]
        conditional = "If-None-Match" in handler.headers or "If-Modified-Since" in handler.headers
        if path in self.redirects:
            self.requests.append((path, conditional, 302))
            handler.send_response(302)
            handler.send_header("Location", self.redirects[path])
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return None
        if path == "/broken/slow.xml":
            time.sleep(self.slow_seconds)
        if path == "/broken/500.xml":
            return self._send(handler, path, conditional, 500, b"server error", "text/plain")
        if path == "/broken/big.html":  # 10 MB, streamed without a Content-Length
            self.requests.append((path, conditional, 200))
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html")
            handler.send_header("Connection", "close")
            handler.end_headers()
            chunk = b"<p>" + b"x" * 65530 + b"</p>"
            try:
                for _ in range(160):
                    handler.wfile.write(chunk)
            except OSError:
                pass
            handler.close_connection = True
            return None
        resource = self.resource(path)
        if resource is None:
            return self._send(handler, path, conditional, 404, b"not found", "text/plain")
        if handler.headers.get("If-None-Match") == resource.etag:
            return self._send(handler, path, conditional, 304, b"", resource.content_type, resource)
        return self._send(handler, path, conditional, 200, resource.body, resource.content_type, resource)

    def _send(self, handler: BaseHTTPRequestHandler, path: str, conditional: bool, status: int, body: bytes,
              content_type: str, resource: Resource | None = None) -> None:
        self.requests.append((path, conditional, status))
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        if resource is not None:
            handler.send_header("ETag", resource.etag)
            handler.send_header("Last-Modified", formatdate(resource.modified, usegmt=True))
        if status != 304:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if status != 304:
            handler.wfile.write(body)

    # --- content ------------------------------------------------------------------------------
    def resource(self, path: str) -> Resource | None:
        if path == "/robots.txt":
            return Resource(b"User-agent: *\nDisallow: /private/\n", "text/plain", 0)
        if path in FEEDS:
            return self._feed(path)
        if path == "/sitemap_index.xml":
            return self._sitemap_index()
        if path == "/sitemap_index.xml.gz":  # gzip bytes, labelled as the XML they hold
            plain = self._sitemap_index(gz=True)
            return Resource(gzip.compress(plain.body, mtime=0), "application/xml", plain.modified)
        if path in ("/sitemaps/news.xml.gz", "/sitemaps/pages.xml.gz"):
            plain = self.resource(path.removesuffix(".gz"))
            return Resource(gzip.compress(plain.body, mtime=0), "application/x-gzip", plain.modified)
        if path == "/broken/bomb.xml.gz":
            return Resource(_gzip_bomb(), "application/gzip", 0)
        if path == "/sitemaps/news.xml":
            return self._sitemap(NEWS_SITEMAP, news=True)
        if path == "/sitemaps/pages.xml":
            return self._sitemap(PLAIN_SITEMAP, news=False)
        if path == "/media/logo.png":
            return Resource(b"\x89PNG\r\n\x1a\n", "image/png", 0)
        if path == "/broken/malformed.xml":
            return Resource(b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</title><<item>>', "application/rss+xml", 0)
        if path.startswith("/syndicated/"):  # another outlet's copy of the same story, at a second URL
            number = path.split("/")[2]
            if number.isdigit() and int(number) < ARTICLES:
                return self._page(int(number), syndicated=True)
        if path.startswith(("/news/", "/private/")):
            number = path.split("/")[2]
            if number.isdigit() and int(number) < ARTICLES:
                return self._page(int(number))
        return None

    def _page(self, i: int, syndicated: bool = False) -> Resource:
        title = f"{spy_word(i).capitalize()} {_WORDS[i % len(_WORDS)]} project moves ahead"
        day = published(i).isoformat()
        head = [f"<title>{html.escape(title)}</title>", f'<link rel="canonical" href="{self.article_url(i)}">']
        if syndicated:
            head = [f"<title>{html.escape(title)} | Bay Gazette</title>", '<meta property="og:site_name" content="Bay Gazette">',
                    f'<meta property="article:published_time" content="{day}T12:00:00+00:00">']
        elif i < 100:
            ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                  "datePublished": f"{day}T08:00:00Z", "dateModified": f"{self.modified(i).isoformat()}T09:00:00Z",
                  "author": {"@type": "Person", "name": f"Reporter {i % 7}"},
                  "publisher": {"@type": "Organization", "name": "Harbour Herald"}}
            head.append(f'<script type="application/ld+json">{json.dumps(ld)}</script>')
        elif i < 150:
            head += ['<meta property="og:site_name" content="Coast Courier">',
                     f'<meta property="article:published_time" content="{day}T08:00:00+00:00">',
                     f'<meta property="article:modified_time" content="{self.modified(i).isoformat()}T09:00:00+00:00">']
        text = article_text(i, self.editions.get(i, 0))
        if syndicated:
            text.append("This story was first published by the Harbour Herald and is republished with permission.")
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text)
        page = (f"<!doctype html><html><head>{''.join(head)}</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
                f"<article><h1>{html.escape(title)}</h1>{paragraphs}</article><footer>© Harbour Media</footer></body></html>")
        return Resource(page.encode(), "text/html; charset=utf-8", _epoch(self.modified(i)))

    def _listed(self, numbers: range) -> list[int]:
        return [i for i in numbers if i not in self.dropped]

    def _feed(self, path: str) -> Resource:
        numbers = self._listed(FEEDS[path])
        if path.endswith(".atom"):
            entries = "".join(
                f"<entry><title>Story {i}</title><link href=\"{self.article_url(i)}\"/><id>{self.article_url(i)}</id>"
                f"<published>{published(i).isoformat()}T08:00:00Z</published>"
                f"<updated>{self.modified(i).isoformat()}T09:00:00Z</updated></entry>" for i in numbers)
            body = (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                    f"<title>Harbour Herald Live</title><id>{self.url(path)}</id><updated>2024-07-01T00:00:00Z</updated>{entries}</feed>")
            content_type = "application/atom+xml"
        else:
            title = "Harbour Herald World" if "world" in path else "Harbour Herald Business"
            items = "".join(
                f"<item><title>Story {i}</title><link>{self.article_url(i)}</link><guid>{self.article_url(i)}</guid>"
                f"<pubDate>{formatdate(_epoch(published(i)) + 8 * 3600, usegmt=True)}</pubDate></item>" for i in numbers)
            body = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'
            content_type = "application/rss+xml"
        return Resource(body.encode(), content_type, max(_epoch(self.modified(i)) for i in numbers))

    def _sitemap_index(self, gz: bool = False) -> Resource:
        suffix = ".gz" if gz else ""
        maps = "".join(f"<sitemap><loc>{self.url(p)}{suffix}</loc><lastmod>{self._sitemap(r, news=n).modified_day}</lastmod></sitemap>"
                       for p, r, n in (("/sitemaps/news.xml", NEWS_SITEMAP, True), ("/sitemaps/pages.xml", PLAIN_SITEMAP, False)))
        body = f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{maps}</sitemapindex>'
        return Resource(body.encode(), "application/xml", 0)

    def _sitemap(self, numbers: range, news: bool) -> "_Sitemap":
        listed = self._listed(numbers)
        urls = []
        for i in listed:
            extra = ""
            if news:
                extra = (f"<news:news><news:publication><news:name>Harbour Wire</news:name><news:language>en</news:language>"
                         f"</news:publication><news:publication_date>{published(i).isoformat()}T08:00:00Z</news:publication_date>"
                         f"<news:title>Story {i}</news:title></news:news>")
            urls.append(f"<url><loc>{self.article_url(i)}</loc><lastmod>{self.modified(i).isoformat()}</lastmod>{extra}</url>")
        body = ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{"".join(urls)}</urlset>')
        newest = max(self.modified(i) for i in listed)
        return _Sitemap(body.encode(), "application/xml", _epoch(newest), newest.isoformat())


@dataclass
class _Sitemap(Resource):
    modified_day: str = ""


@functools.cache
def _gzip_bomb() -> bytes:
    """A sitemap padded with BOMB_BYTES of spaces, gzipped: small to send, too big to read."""
    padding = b" " * BOMB_BYTES
    return gzip.compress(b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                         + padding + b"</urlset>", mtime=0)


def _epoch(day: date) -> float:
    return time.mktime(day.timetuple()) - time.timezone
