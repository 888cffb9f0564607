"""How does the index follow the news? Followed feeds, sitemaps and pages are checked when due;
what is new or changed is fetched, read and written into the corpus as one JSON record per
article (`corpus/web/<host>/<hash of its URL>.json`), and one incremental ingest brings the index
in step.

- Cheap when nothing changed: the listing is asked for with its ETag / Last-Modified (a 304 ends
  the check), and an article is fetched again only when its listing gives it a new date, then
  conditionally too.
- Updates are updates: an edited article writes a new record over its old one (the old one is
  kept under `corpus/web/.revisions/`, which ingest skips), and the ingest re-reads it by content
  hash: its old chunks leave the index and its new text is chunked. The record's id names the text
  version, so an earlier citation (article id, span) never points into text it did not quote.
- The same story at a second URL is linked as a near-duplicate by the ingest, as for any file.
- An item that leaves a feed stays in the index: nothing is deleted because a listing moved on.
- One failing source never stops the others: its error is stored with it and shown.
"""

from __future__ import annotations

import calendar
import dataclasses
import hashlib
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from qa.errors import ConfigError, FetchError, QAError, SourceNotFound
from qa.index.build import IngestReport
from qa.index.follow_state import FollowState, Item, Source, source_id
from qa.index.library import write_atomically
from qa.ingest.addresses import AddressPolicy
from qa.ingest.feeds import ARTICLE, FeedItem, detect_kind, read_listing, read_sitemap
from qa.ingest.fetch import PAGE_TYPES, Fetcher, FetchLimits, Page, Validators
from qa.ingest.webpages import read_web_page

log = logging.getLogger(__name__)

WEB_DIR = "web"
REVISIONS_DIR = ".revisions"  # hidden: ingest never reads it
MIN_EVERY_S = 60
_EVERY = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_PENDING = "pending_ingest"  # set while written records wait for an ingest


def parse_every(text: str) -> int:
    """"15m", "2h", "1d", "90s" or plain seconds as seconds (at least a minute)."""
    match = _EVERY.match(text or "")
    if not match:
        raise ConfigError(f"--every {text!r} is not an interval: write it like 15m, 2h, 1d or 900 (seconds).")
    seconds = int(match[1]) * _UNITS[match[2].lower()]
    if seconds < MIN_EVERY_S:
        raise ConfigError(f"--every {text!r} is under a minute; check a source at most once a minute.")
    return seconds


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass
class FollowReport:
    """What one run did: the sources checked (as stored after the check), the corpus records
    written and all those read, the HTTP requests made, and the ingest that followed."""

    checked: list[Source] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    ingest: IngestReport | None = None
    seconds: float = 0.0

    @property
    def failed_sources(self) -> int:
        """Sources whose check ended with an error (the whole source, or some of its items)."""
        return sum(bool(source.last_error) for source in self.checked)

    def summary(self, errors: bool = True) -> str:
        """One line of counts, the ingest's line, then (with `errors`) one line per error."""
        new, changed, failed = (sum(getattr(s, name) for s in self.checked) for name in ("new", "changed", "failed"))
        line = (f"checked {len(self.checked)} sources: {new} new / {changed} changed articles, {failed} failed; "
                f"{self.requests.get('requests', 0)} requests ({self.requests.get('not_modified', 0)} not modified) "
                f"in {self.seconds:.1f} s")
        if self.ingest is not None:
            line += f"\ningest: {self.ingest.summary()}"
        return line + "".join(f"\n  error: {error}" for error in self.errors if errors)


class Follower:
    """The followed sources of one corpus and index: add, list, remove, check them (`run`), or
    fetch URLs once (`fetch_urls`). `ingest` brings the index in step with the corpus folder."""

    def __init__(
        self,
        corpus_dir: Path,
        state: FollowState,
        ingest: Callable[[], IngestReport],
        policy: AddressPolicy | None = None,
        limits: FetchLimits = FetchLimits(),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.corpus_dir = corpus_dir
        self.state = state
        self.ingest = ingest
        self.policy = policy or AddressPolicy()
        self.limits = limits
        self._clock = clock

    # --- the list of sources -------------------------------------------------------------------
    def add(self, url: str, every: str = "15m") -> Source:
        """Follow `url` (checked against the address policy now, fetched at the next run); a URL
        already followed gets the new interval."""
        seconds = parse_every(every)
        self.policy.check_url(url)
        url = url.strip()
        known = next((s for s in self.state.sources() if s.url == url), None)
        source = replace(known, every_s=seconds) if known else Source(source_id(url), url, seconds, now_iso())
        self.state.put_source(source)
        return source

    def remove(self, key: str) -> Source:
        """Stop following a source (by id or URL); its articles stay in the index."""
        source = self.find(key)
        self.state.remove_source(source)
        return source

    def find(self, key: str) -> Source:
        for source in self.state.sources():
            if key.strip() in (source.id, source.url):
                return source
        raise SourceNotFound(f"No followed source {key!r} — `qa follow list` shows their ids and URLs.")

    def sources(self) -> list[Source]:
        return self.state.sources()

    def articles(self) -> dict[str, int]:
        """Source id -> articles it brought into the corpus."""
        return self.state.articles_per_source()

    def next_due(self) -> float | None:
        """Seconds until the next source is due (0 when one is), None without sources."""
        waits = [max(0.0, _epoch(s.last_fetch) + s.every_s - self._clock()) for s in self.state.sources()]
        return min(waits) if waits else None

    # --- checking -----------------------------------------------------------------------------
    def run(self, force: bool = False) -> FollowReport:
        """Check every due source (every source with `force`), then ingest what was written."""
        due = [s for s in self.state.sources() if force or _epoch(s.last_fetch) + s.every_s <= self._clock()]
        return self._run(due, keep=True)

    def fetch_urls(self, urls: Iterable[str]) -> FollowReport:
        """Fetch pages, feeds or sitemaps once, without following them: every article they hold is
        read into the corpus, then ingested. A URL that fails is reported and the others go on."""
        sources = [Source(source_id(u.strip()), u.strip(), added_at=now_iso()) for u in urls]
        return self._run(sources, keep=False)

    def _run(self, sources: list[Source], keep: bool) -> FollowReport:
        started = time.perf_counter()
        report = FollowReport()
        fetcher = Fetcher(self.policy, self.limits, robots=self.state)
        items = self.state.items()
        try:
            for source in sources:
                checked = self._check_safely(source, fetcher, items, report)
                report.checked.append(checked)
                if checked.last_error:
                    report.errors.append(f"{source.url}: {checked.last_error}")
                if keep and self._still_followed(source):
                    self.state.put_source(checked)
        finally:
            fetcher.close()
            report.requests = dict(fetcher.stats)
        if self.state.flag(_PENDING):
            try:
                report.ingest = self.ingest()
                self.state.set_flag(_PENDING, False)
            except QAError as error:  # e.g. another ingest holds the index: the records wait for the next run
                report.errors.append(f"ingest: {error}")
        report.seconds = time.perf_counter() - started
        return report

    def _still_followed(self, source: Source) -> bool:
        return any(s.id == source.id for s in self.state.sources())  # not removed while it was checked

    def _check_safely(self, source: Source, fetcher: Fetcher, items: dict[str, Item], report: FollowReport) -> Source:
        checked_at = now_iso()
        try:
            return self._check(source, fetcher, items, report, checked_at)
        except QAError as error:
            return replace(source, last_fetch=checked_at, last_error=_one_line(str(error)), new=0, changed=0, failed=0)
        except Exception as error:  # a bug or a library's surprise on one source must not stop the others
            log.exception("checking %s failed", source.url)
            return replace(source, last_fetch=checked_at, last_error=f"{type(error).__name__}: {error}",
                           new=0, changed=0, failed=0)

    def _check(self, source: Source, fetcher: Fetcher, items: dict[str, Item], report: FollowReport,
               checked_at: str) -> Source:
        retry_all = source.failed > 0  # items that failed last time are asked for again
        page = fetcher.get(source.url, Validators() if retry_all else source.validators)
        done = replace(source, last_fetch=checked_at, last_success=checked_at, last_error="",
                       etag=page.validators.etag, last_modified=page.validators.last_modified, new=0, changed=0, failed=0)
        if page.not_modified:
            return done
        counts: Counter[str] = Counter()
        problems: list[str] = []
        if detect_kind(page.body, page.content_type) == ARTICLE:
            self._take_page(page, FeedItem(source.url), source.id, items, counts, report)
            return replace(done, kind=ARTICLE, listed=1, new=counts["new"], changed=counts["changed"])
        listing = read_listing(page.body, page.url, page.content_type)
        entries = list(listing.items)
        problems += [listing.warning] if listing.warning else []
        for child in listing.sitemaps:
            try:
                entries += self._child_sitemap(child, source.id, fetcher, items, retry_all)
            except QAError as error:
                problems.append(str(error))
        for entry in {entry.url: entry for entry in entries}.values():
            try:
                self._take(entry, source.id, fetcher, items, counts, report)
            except QAError as error:
                counts["failed"] += 1
                problems.append(str(error))
        title = next((e.outlet for e in entries if e.outlet), source.title)
        error = "" if not problems else _one_line(problems[0]) + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        return replace(done, kind=listing.kind, title=title, listed=len(entries), new=counts["new"],
                       changed=counts["changed"], failed=counts["failed"], last_error=error)

    def _child_sitemap(self, child: FeedItem, owner: str, fetcher: Fetcher, items: dict[str, Item],
                       retry_all: bool) -> list[FeedItem]:
        """The articles of a sitemap index's child, when it changed since it was last read."""
        known = items.get(child.url)
        if known is not None and not retry_all and child.version and child.version == known.versions.get(owner):
            return []
        page = fetcher.get(child.url, known.validators if known is not None and not retry_all else Validators())
        self._remember(items, Item(child.url, owner, "", {owner: child.version}, page.validators.etag,
                                   page.validators.last_modified, now_iso()))
        return [] if page.not_modified else list(read_sitemap(page.body, page.url).items)

    def _take(self, entry: FeedItem, owner: str, fetcher: Fetcher, items: dict[str, Item], counts: Counter[str],
              report: FollowReport) -> None:
        """Fetch a listed article when it is new, or when this listing gives it a new date
        (conditionally). An article first fetched through another listing is not fetched again
        when this one first names it: its date here is only noted."""
        known = items.get(entry.url)
        if known is not None:
            seen = known.versions.get(owner)
            if seen is None or not entry.version or entry.version == seen:
                if seen is None and entry.version:
                    self._remember(items, replace(known, versions={**known.versions, owner: entry.version}))
                report.paths += [known.path] if known.path else []
                return
        page = fetcher.get(entry.url, known.validators if known is not None else Validators(), PAGE_TYPES)
        if page.not_modified and known is not None:
            self._remember(items, replace(known, versions={**known.versions, owner: entry.version}, fetched_at=now_iso()))
            report.paths += [known.path] if known.path else []
            return
        self._take_page(page, entry, owner, items, counts, report, known)

    def _take_page(self, page: Page, entry: FeedItem, owner: str, items: dict[str, Item], counts: Counter[str],
                   report: FollowReport, known: Item | None = None) -> None:
        from trafilatura.utils import decode_file

        if detect_kind(page.body, page.content_type) != ARTICLE:
            raise FetchError(f"{entry.url}: a feed or sitemap where an article page was expected")
        article = read_web_page(decode_file(page.body), page.url, entry)
        path = record_path(article.url)
        outcome = self._write(path, article.record())
        counts[outcome] += 1
        report.paths.append(path)
        if outcome != "unchanged":
            report.written.append(path)
        versions = {**(known.versions if known is not None else {}), owner: entry.version}
        first = known.source_id if known is not None else owner
        self._remember(items, Item(entry.url, first, path, versions, page.validators.etag,
                                   page.validators.last_modified, now_iso()))

    def _remember(self, items: dict[str, Item], item: Item) -> None:
        items[item.url] = item
        self.state.put_item(item)

    def _write(self, path: str, data: bytes) -> str:
        """Write a record into the corpus: "new", "changed" (the old one kept as a revision) or "unchanged"."""
        target = self.corpus_dir / path
        old = target.read_bytes() if target.exists() else None
        if old == data:
            return "unchanged"
        self.state.set_flag(_PENDING, True)
        target.parent.mkdir(parents=True, exist_ok=True)
        if old is not None:
            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
            kept = self.corpus_dir / WEB_DIR / REVISIONS_DIR / Path(path).relative_to(WEB_DIR)
            kept = kept.with_name(f"{kept.stem}.{stamp}-{hashlib.sha1(old).hexdigest()[:8]}.json")
            kept.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(kept, old)
        write_atomically(target, data)
        return "new" if old is None else "changed"


def record_path(url: str) -> str:
    """The corpus-relative file of an article's record: web/<host[_port]>/<sha1 of the URL>.json."""
    parts = urlsplit(url)
    host = re.sub(r"[^a-z0-9.-]+", "_", (parts.hostname or "unknown").lower())
    if parts.port:
        host += f"_{parts.port}"
    return f"{WEB_DIR}/{host}/{hashlib.sha1(url.encode()).hexdigest()[:16]}.json"


def source_payload(source: Source, articles: int) -> dict:
    """A source as `qa follow list --json` and GET /api/sources show it (validators left out)."""
    data = dataclasses.asdict(source)
    for private in ("etag", "last_modified"):
        data.pop(private)
    return {**data, "articles": articles}


def _epoch(iso: str) -> float:
    return float(calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))) if iso else 0.0


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]
