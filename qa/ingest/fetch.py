"""How is a page fetched from the web? One polite, guarded HTTP client (httpx) for pages, feeds,
sitemaps and robots.txt.

- Guarded: every hop's URL passes `AddressPolicy.check_url` before a request, and the connection
  itself is opened by a network backend that resolves the host at that moment, checks every
  address and connects to a checked one (then checks the peer it reached): a DNS answer that
  changes between the check and the connect cannot lead anywhere else. No proxy from the
  environment (it would connect on our behalf, past the check).
- Bounded: a time limit per request (body included), a body size limit (decompressed bytes, both
  of a `Content-Encoding` and of a gzipped file such as `sitemap.xml.gz`, so a gzip bomb is
  refused), a redirect limit and a list of content types.
- Polite: robots.txt is read (and cached) per origin and obeyed, a delay between two requests to
  one host (or the robots.txt Crawl-delay, when longer), retries with exponential backoff on
  connection errors, timeouts, 429 and 5xx (Retry-After honoured up to a minute).
- Conditional: given an ETag / Last-Modified, the request carries If-None-Match /
  If-Modified-Since, and a 304 comes back as a `Page` with `not_modified` and no body.
"""

from __future__ import annotations

import time
import urllib.robotparser
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from qa.errors import FetchError, UnsafeURLError
from qa.ingest.addresses import AddressPolicy

PAGE_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = (
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml",
    "application/feed+json", "application/json",
    "application/gzip", "application/x-gzip",  # a gzipped sitemap or feed (sitemap.xml.gz), read decompressed
)
CONTENT_TYPES = PAGE_TYPES + FEED_TYPES
GZIP_MAGIC = b"\x1f\x8b"
ROBOTS_TTL = 3600.0  # seconds a robots.txt is trusted before it is asked for again (conditionally)
MAX_RETRY_AFTER = 60.0
_TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class FetchLimits:
    timeout: float = 20.0  # seconds for one request, body included
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    retries: int = 2  # tries after the first, on errors worth retrying
    backoff: float = 1.0  # seconds before the first retry, doubled for each next one
    host_delay: float = 1.0  # seconds between two requests to one host
    user_agent: str = "newsroom-qa/0.1 (news follower)"


@dataclass(frozen=True)
class Validators:
    """What a server said identifies a version of a resource (sent back in a conditional request)."""

    etag: str = ""
    last_modified: str = ""


@dataclass(frozen=True)
class Page:
    """A fetched resource: the final URL after redirects, and its body (empty when not modified)."""

    url: str
    status: int
    body: bytes = b""
    content_type: str = ""
    validators: Validators = Validators()

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class CachedRobots:
    text: str
    fetched_at: float  # time.time()
    validators: Validators = Validators()
    status: int = 200


class RobotsCache(Protocol):
    """Where robots.txt files are kept between runs (the follow state; a dict-like in memory by default)."""

    def get_robots(self, origin: str) -> CachedRobots | None: ...
    def set_robots(self, origin: str, robots: CachedRobots) -> None: ...


@dataclass
class MemoryRobots:
    found: dict[str, CachedRobots] = field(default_factory=dict)

    def get_robots(self, origin: str) -> CachedRobots | None:
        return self.found.get(origin)

    def set_robots(self, origin: str, robots: CachedRobots) -> None:
        self.found[origin] = robots


class StatusError(FetchError):
    """The server answered with an HTTP status other than 200, 304 or a redirect."""

    def __init__(self, url: str, status: int, tries: str = "") -> None:
        super().__init__(f"{url}: HTTP {status}{tries}")
        self.status = status


class _Retry(Exception):
    def __init__(self, reason: str, wait: float | None = None, status: int | None = None) -> None:
        super().__init__(reason)
        self.wait = wait
        self.status = status


class Fetcher:
    """GET with every guard and courtesy above; `stats` counts requests, 304s and bytes read."""

    def __init__(
        self,
        policy: AddressPolicy | None = None,
        limits: FetchLimits = FetchLimits(),
        robots: RobotsCache | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy or AddressPolicy()
        self.limits = limits
        self.robots = robots or MemoryRobots()
        self.stats: Counter[str] = Counter()
        self._clock = clock
        self._sleep = sleep
        self._last_request: dict[str, float] = {}
        self._crawl_delay: dict[str, float] = {}
        self._parsed_robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._unreadable_robots: set[str] = set()
        self._client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                transport=_GuardedTransport(self.policy), trust_env=False, follow_redirects=False,
                timeout=httpx.Timeout(self.limits.timeout), headers={"User-Agent": self.limits.user_agent},
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def get(self, url: str, validators: Validators = Validators(), accept: tuple[str, ...] = CONTENT_TYPES) -> Page:
        """The resource at `url` (a 304 `Page` when `validators` still match); FetchError saying
        why not: refused, robots.txt, HTTP status, timeout, size or content type."""
        for attempt in range(self.limits.retries + 1):
            try:
                return self._follow_redirects(url, validators, accept)
            except _Retry as retry:
                if attempt == self.limits.retries:
                    tries = "" if attempt == 0 else f" (after {attempt + 1} tries)"
                    if retry.status is not None:
                        raise StatusError(url, retry.status, tries) from None
                    raise FetchError(f"{url}: {retry}{tries}") from None
                self._sleep(retry.wait if retry.wait is not None else self.limits.backoff * 2**attempt)
        raise AssertionError("unreachable")

    def _follow_redirects(self, url: str, validators: Validators, accept: tuple[str, ...]) -> Page:
        current = url
        for _ in range(self.limits.max_redirects + 1):
            target = self.policy.check_url(current)
            if not self.allowed_by_robots(current):
                origin = f"{target.scheme}://{urlsplit(current).netloc}"
                if origin in self._unreadable_robots:
                    raise FetchError(f"{current}: robots.txt of {target.host} could not be read (a server error or no "
                                     "answer), which means nothing there may be fetched (RFC 9309); retried next run")
                raise FetchError(f"{current}: robots.txt of {target.host} does not allow fetching it")
            page, location = self._request(current, validators, accept)
            if location is None:
                return page
            current = urljoin(current, location)
        raise FetchError(f"{url}: more than {self.limits.max_redirects} redirects")

    def _request(self, url: str, validators: Validators, accept: tuple[str, ...]) -> tuple[Page, str | None]:
        """One request: the page, or (a placeholder, the Location to go to next)."""
        self._wait_turn(urlsplit(url).hostname or "")
        headers = {"Accept": ", ".join(accept) + ", */*;q=0.1"}
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        self.stats["requests"] += 1
        self.stats["conditional"] += bool(validators.etag or validators.last_modified)
        deadline = self._clock() + self.limits.timeout
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                if response.is_redirect and "location" in response.headers:
                    return Page(url, response.status_code), response.headers["location"]
                if response.status_code == 304:
                    self.stats["not_modified"] += 1
                    return Page(url, 304, validators=_validators(response, validators)), None
                if response.status_code in _TRANSIENT_STATUS:
                    raise _Retry(f"HTTP {response.status_code}", _retry_after(response), response.status_code)
                if response.status_code != 200:
                    raise StatusError(url, response.status_code)
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if content_type and content_type not in accept:
                    raise FetchError(f"{url}: content type {content_type} is not one that is read "
                                     f"(expected {', '.join(accept)})")
                body = self._read_body(response, url, deadline)
                if body.startswith(GZIP_MAGIC):  # a .gz file, whatever type it was served as
                    body, content_type = gunzip(body, self.limits.max_bytes, url), ""
                return Page(str(response.url), 200, body, content_type, _validators(response, Validators())), None
        except httpx.TimeoutException:
            raise _Retry(f"timed out after {self.limits.timeout:g} s") from None
        except httpx.TransportError as error:
            raise _Retry(f"connection failed ({type(error).__name__}: {error})") from None

    def _read_body(self, response: httpx.Response, url: str, deadline: float) -> bytes:
        limit = self.limits.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"{url}: the body is {int(declared):,} bytes, over the limit of {limit:,} (QA_FETCH_MAX_BYTES)")
        parts, size = [], 0
        for part in response.iter_bytes():
            size += len(part)
            if size > limit:
                raise FetchError(f"{url}: the body is over the limit of {limit:,} bytes (QA_FETCH_MAX_BYTES)")
            if self._clock() > deadline:
                raise _Retry(f"timed out after {self.limits.timeout:g} s (body still arriving)")
            parts.append(part)
        self.stats["bytes"] += size
        return b"".join(parts)

    def _wait_turn(self, host: str) -> None:
        delay = max(self.limits.host_delay, self._crawl_delay.get(host, 0.0))
        last = self._last_request.get(host)
        if last is not None and delay > 0:
            wait = last + delay - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_request[host] = self._clock()

    # --- robots.txt -------------------------------------------------------------------------
    def allowed_by_robots(self, url: str) -> bool:
        """True when the origin's robots.txt lets our user agent fetch `url` (RFC 9309: a missing
        robots.txt allows everything; one that cannot be read, 5xx or unreachable, allows nothing)."""
        parts = urlsplit(url)
        if parts.path == "/robots.txt":
            return True
        origin = f"{parts.scheme}://{parts.netloc}"
        parser = self._parsed_robots.get(origin)
        if parser is None:
            parser = self._parsed_robots[origin] = self._load_robots(origin)
            delay = parser.crawl_delay(self.limits.user_agent)
            if delay:
                self._crawl_delay[parts.hostname or ""] = float(delay)
        return parser.can_fetch(self.limits.user_agent, url)

    def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser:
        cached = self.robots.get_robots(origin)
        if cached is None or time.time() - cached.fetched_at > ROBOTS_TTL:
            cached = self._fetch_robots(origin, cached)
            if cached.status < 500:  # an unreadable robots.txt is asked for again next time
                self.robots.set_robots(origin, cached)
        parser = urllib.robotparser.RobotFileParser()
        if cached.status >= 500:
            parser.disallow_all = True
            self._unreadable_robots.add(origin)
        elif cached.status >= 400:
            parser.allow_all = True
        else:
            parser.parse(cached.text.splitlines())
        return parser

    def _fetch_robots(self, origin: str, cached: CachedRobots | None) -> CachedRobots:
        url = f"{origin}/robots.txt"
        validators = cached.validators if cached and cached.status == 200 else Validators()
        try:
            page = self.get(url, validators, accept=("text/plain",) + PAGE_TYPES)
        except StatusError as error:
            return CachedRobots("", time.time(), status=error.status)
        except UnsafeURLError:
            raise
        except FetchError:  # unreachable, timed out, too large: as a server error, nothing is allowed
            return CachedRobots("", time.time(), status=503)
        if page.not_modified and cached is not None:
            return CachedRobots(cached.text, time.time(), page.validators, 200)
        return CachedRobots(page.body.decode("utf-8", "replace"), time.time(), page.validators, 200)


def gunzip(data: bytes, limit: int, url: str = "") -> bytes:
    """A gzipped body decompressed (every member of it), never more than `limit` bytes of it held:
    a gzip bomb is refused without being expanded. FetchError when it is over the limit or not gzip."""
    out, rest = b"", data
    try:
        while rest:
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            out += inflater.decompress(rest, limit + 1 - len(out))  # at least 1: 0 would mean no limit
            if len(out) > limit or inflater.unconsumed_tail:
                raise FetchError(f"{url}: the body decompresses to over the limit of {limit:,} bytes (QA_FETCH_MAX_BYTES)")
            if not inflater.eof:
                raise FetchError(f"{url}: the gzipped body is cut short")
            rest = inflater.unused_data
    except zlib.error as error:
        raise FetchError(f"{url}: the body starts as gzip but cannot be decompressed ({error})") from None
    return out


def _validators(response: httpx.Response, previous: Validators) -> Validators:
    return Validators(response.headers.get("etag", previous.etag),
                      response.headers.get("last-modified", previous.last_modified))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return min(float(value), MAX_RETRY_AFTER) if value.isdigit() else None


class _GuardedBackend(httpcore.NetworkBackend):
    """Opens TCP connections only to addresses the policy permits, resolved at connect time."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options=None) -> httpcore.NetworkStream:  # noqa: ANN001
        last: Exception | None = None
        for address in self.policy.addresses(host, port):
            try:
                stream = self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as error:
                last = error
                continue
            peer = stream.get_extra_info("socket").getpeername()[0]
            try:
                self.policy.check_address(peer, host)
            except UnsafeURLError:
                stream.close()
                raise
            return stream
        raise last or httpcore.ConnectError(f"no address of {host} accepted a connection")

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options=None):  # noqa: ANN001, ANN201
        raise UnsafeURLError("unix sockets are never connected to")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with its connection pool opening connections through `_GuardedBackend`
    (httpx takes no network backend itself, so the pool it built is replaced)."""

    def __init__(self, policy: AddressPolicy) -> None:
        super().__init__(trust_env=False)
        ssl_context = httpx.create_ssl_context()
        self._pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=_GuardedBackend(policy))
