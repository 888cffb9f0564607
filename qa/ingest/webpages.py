"""How is a fetched news page read? Its text and metadata come from the page (trafilatura, via
`qa.ingest.extraction`); what the feed or sitemap said about it fills the gaps (a date, the outlet).
The result is the JSON record the corpus keeps for it, which `qa.ingest.loaders` reads like any
other record."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from qa.errors import LoadError
from qa.ingest.feeds import FeedItem


@dataclass(frozen=True)
class WebArticle:
    """A news page as read: `url` is its canonical URL when that is on the same site, else the
    URL it was fetched from after redirects; dates are ISO 8601 ("" when neither page nor listing gives one)."""

    url: str
    title: str
    body: str
    source: str
    published_at: str
    modified_at: str
    author: str
    category: str

    def record(self) -> bytes:
        """The corpus record (stable bytes: the same article always writes the same file). Its id
        names the version ("<url>#<hash of the text>"), so an edited article is a new article and
        a citation of the old one never points into text it did not quote."""
        version = hashlib.sha256(self.body.encode()).hexdigest()[:12]
        fields = {"id": f"{self.url}#{version}", **asdict(self)}
        return (json.dumps(fields, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def read_web_page(html: str, fetched_url: str, listed: FeedItem | None = None) -> WebArticle:
    """The article on a fetched page; LoadError when it holds no article text."""
    from qa.ingest.extraction import modified_date, read_html

    page = read_html(html, "", "", fallback_title="")
    listed = listed or FeedItem(fetched_url)
    url = _canonical(page.url, fetched_url)
    outlet = page.source if not _is_host_name(page.source, url, fetched_url) else ""
    published = page.published_at or listed.published_at
    modified = modified_date(html)
    if not modified or modified[:10] <= published[:10]:
        modified = listed.updated_at if listed.updated_at[:10] > published[:10] else ""
    title = page.title or listed.title
    if not title:
        raise LoadError(f"{fetched_url}: the page has no title")
    return WebArticle(url, title, page.body, outlet or listed.outlet or _host(url), published, modified,
                      page.author, page.category)


def _canonical(declared: str, fetched: str) -> str:
    """The page's canonical URL when it stays on the fetched site ("www." aside); a page may not
    claim to be another outlet's article."""
    if not declared.startswith(("http://", "https://")):
        return fetched
    return declared if _host(declared).removeprefix("www.") == _host(fetched).removeprefix("www.") else fetched


def _is_host_name(name: str, *urls: str) -> bool:
    """trafilatura falls back to the host name (with any port) when a page names no outlet."""
    host = name.lower().rsplit(":", 1)[0] if ":" in name and name.rsplit(":", 1)[1].isdigit() else name.lower()
    return any(host.removeprefix("www.") == _host(url).removeprefix("www.") for url in urls)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
