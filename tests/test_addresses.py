"""The fetcher's address guard: refusals happen before any connection is attempted, on every
redirect hop, and against the address a connection actually goes to. The suite's offline guard
(conftest) stays on: no packet leaves loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from qa.errors import UnsafeURLError
from qa.ingest.addresses import AddressPolicy, parse_target, why_not_public
from qa.ingest.fetch import Fetcher, FetchLimits
from tests.newssite import HOST, NewsSite

LIMITS = FetchLimits(timeout=1.0, retries=0, host_delay=0.0)


@pytest.fixture
def connections(monkeypatch) -> list:  # noqa: ANN001
    """Every TCP connection attempted during the test (through the suite's loopback guard)."""
    attempted: list = []
    guarded = socket.socket.connect

    def record(self: socket.socket, address) -> None:  # noqa: ANN001
        attempted.append(address)
        return guarded(self, address)

    monkeypatch.setattr(socket.socket, "connect", record)
    return attempted


@pytest.fixture
def site() -> Iterator[NewsSite]:
    running = NewsSite().start()
    yield running
    running.stop()


def resolver(answers: dict[str, list[str]]):  # noqa: ANN201
    """A stub resolver: host -> addresses, counting its calls."""
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return answers[host]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


def test_a_loopback_url_is_refused_without_the_allow_list(site, connections) -> None:
    with pytest.raises(UnsafeURLError, match=r"127\.0\.0\.1 is a loopback address.*QA_FETCH_ALLOW"):
        Fetcher(AddressPolicy(), LIMITS).get(f"http://127.0.0.1:{site.port}/feeds/world.rss")
    with pytest.raises(UnsafeURLError, match="loopback"):
        Fetcher(AddressPolicy(), LIMITS).get(f"http://[::ffff:127.0.0.1]:{site.port}/")  # IPv4 inside IPv6
    assert connections == [] and site.requests == []
    page = Fetcher(AddressPolicy(["127.0.0.1"]), LIMITS).get(f"http://127.0.0.1:{site.port}/feeds/world.rss")
    assert page.status == 200 and connections  # the allow-list opens it


@pytest.mark.parametrize(("address", "kind"), [
    ("10.1.2.3", "private"), ("192.168.0.7", "private"), ("169.254.169.254", "link-local"),
    ("240.0.0.1", "reserved"), ("100.64.0.1", "not globally routable"), ("0.0.0.0", "unspecified"),
    ("fe80::1", "link-local"), ("fd00::5", "private"), ("::1", "loopback"), ("224.0.0.1", "multicast"),
])
def test_a_host_resolving_to_a_non_public_address_is_refused(address, kind, connections) -> None:
    policy = AddressPolicy(resolver=resolver({"intranet.example": [address]}))
    with pytest.raises(UnsafeURLError, match=rf"{address} is a {kind} address \(host 'intranet.example' resolves to it\)"):
        Fetcher(policy, LIMITS).get("https://intranet.example/news")
    assert connections == []


def test_one_private_address_among_public_ones_is_enough_to_refuse(connections) -> None:
    policy = AddressPolicy(resolver=resolver({"mixed.example": ["93.184.216.34", "10.0.0.9"]}))
    with pytest.raises(UnsafeURLError, match="10.0.0.9 is a private address"):
        Fetcher(policy, LIMITS).get("http://mixed.example/")
    assert connections == []


def test_a_redirect_from_an_allowed_host_to_a_private_address_is_refused(site, connections) -> None:
    site.redirects["/go/internal"] = "http://10.20.30.40/admin"
    site.redirects["/go/named"] = "http://metadata.example/latest"
    policy = AddressPolicy(["127.0.0.1"], resolver({HOST: ["127.0.0.1"], "metadata.example": ["169.254.169.254"]}))
    fetcher = Fetcher(policy, LIMITS)
    with pytest.raises(UnsafeURLError, match=r"refused 'http://10\.20\.30\.40/admin': 10\.20\.30\.40 is a private address"):
        fetcher.get(site.url("/go/internal"))
    with pytest.raises(UnsafeURLError, match="169.254.169.254 is a link-local address"):
        fetcher.get(site.url("/go/named"))
    assert all(address[0] == "127.0.0.1" for address in connections)  # only the allowed host was connected to
    assert [path for path, _, status in site.requests if status == 302] == ["/go/internal", "/go/named"]


def test_the_address_connected_to_is_resolved_and_checked_at_connect_time(connections) -> None:
    """DNS rebinding: the first answer is public, the one at connect time private."""
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["93.184.216.34"] if len(calls) <= 2 else ["10.0.0.1"]  # the page's and robots.txt's checks pass

    with pytest.raises(UnsafeURLError, match="10.0.0.1 is a private address"):
        Fetcher(AddressPolicy(resolver=rebinding), LIMITS).get("http://rebind.example/")
    assert len(calls) == 3 and connections == []  # the third answer came at connect time, and was refused


@pytest.mark.parametrize(("url", "message"), [
    ("file:///etc/passwd", "only http:// and https:// URLs are fetched, not file://"),
    ("ftp://ftp.example.org/pub/news.xml", "not ftp://"),
    ("gopher://example.org/", "not gopher://"),
    ("example.org/news", "not a URL without a scheme"),
    ("http://user:secret@example.org/", "user name or password"),
    ("http:///nohost", "has no host"),
])
def test_other_schemes_and_odd_urls_are_refused(url, message, connections) -> None:
    with pytest.raises(UnsafeURLError, match=message):
        Fetcher(AddressPolicy(resolver=resolver({})), LIMITS).get(url)
    assert connections == []


def test_the_allow_list_takes_hosts_and_ranges() -> None:
    policy = AddressPolicy(["10.0.0.0/8", "wiki.internal"], resolver({"a.internal": ["10.9.9.9"], "wiki.internal": ["192.168.1.5"],
                                                                      "b.internal": ["192.168.1.6"]}))
    assert policy.check_url("http://a.internal/x").host == "a.internal"
    assert policy.check_url("https://wiki.internal/x").port == 443
    with pytest.raises(UnsafeURLError, match="192.168.1.6 is a private address"):
        policy.check_url("http://b.internal/")
    assert why_not_public(__import__("ipaddress").ip_address("93.184.216.34")) is None
    assert parse_target("HTTP://Example.ORG.:8080/a").host == "example.org"
