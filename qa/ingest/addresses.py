"""Which URLs may be fetched? Only http(s), and only hosts whose every address is public, unless
the allow-list (QA_FETCH_ALLOW) opens a host name or an address range.

A server-side fetcher must not become a way into the machine's own network (SSRF): loopback,
private, link-local, shared, reserved, multicast and unspecified addresses are refused, IPv4 inside
IPv6 (::ffff:10.0.0.1) included. The same check runs on every redirect hop and, through
`qa.ingest.fetch`, on the address a connection actually goes to, resolved at that moment (no DNS
rebinding between the check and the connect).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from qa.errors import UnsafeURLError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]  # host, port -> IP address strings
SCHEMES = ("http", "https")


def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses from the operating system's resolver (getaddrinfo)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise UnsafeURLError(f"cannot resolve host {host!r}: {error.strerror or error}") from error
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Target:
    """A URL's parts that decide where a request goes."""

    url: str
    scheme: str
    host: str
    port: int


def parse_target(url: str) -> Target:
    """The scheme, host and port of an http(s) URL, or UnsafeURLError saying what is wrong with it."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        shown = f"{scheme}://" if scheme else "a URL without a scheme"
        raise UnsafeURLError(f"refused {url!r}: only http:// and https:// URLs are fetched, not {shown}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError as error:  # a port out of range or not a number
        raise UnsafeURLError(f"refused {url!r}: {error}") from None
    if not host:
        raise UnsafeURLError(f"refused {url!r}: the URL has no host")
    if parts.username or parts.password:
        raise UnsafeURLError(f"refused {url!r}: URLs with a user name or password are not fetched")
    return Target(url.strip(), scheme, host.lower().rstrip("."), port or (443 if scheme == "https" else 80))


def why_not_public(address: IPAddress) -> str | None:
    """What kind of non-public address this is ("loopback", "private", ...), or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    if not address.is_global:
        return "not globally routable"  # 100.64.0.0/10 (shared), documentation ranges, ...
    return None


class AddressPolicy:
    """Decides which hosts and addresses may be connected to; `allow` opens host names and
    address ranges ("127.0.0.1", "10.0.0.0/8", "intranet.example")."""

    def __init__(self, allow: Iterable[str] = (), resolver: Resolver = system_resolver) -> None:
        self.resolver = resolver
        self.hosts: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in (e.strip().lower() for e in allow):
            if not entry:
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.hosts.add(entry.rstrip("."))

    def check_url(self, url: str) -> Target:
        """The URL's target when its scheme is http(s) and its host resolves to permitted
        addresses only; UnsafeURLError otherwise. Makes no connection."""
        target = parse_target(url)
        self.addresses(target.host, target.port, url)
        return target

    def addresses(self, host: str, port: int, url: str = "") -> list[str]:
        """The host's addresses, resolved now, when every one is permitted; UnsafeURLError otherwise."""
        literal = _as_address(host)
        found = [str(literal)] if literal is not None else self.resolver(host, port)
        if not found:
            raise UnsafeURLError(f"refused {url or host!r}: host {host!r} has no address")
        for address in found:
            self.check_address(address, host, url)
        return found

    def check_address(self, address: str, host: str, url: str = "") -> None:
        """UnsafeURLError unless `address` (reached for `host`) is public or allow-listed."""
        parsed = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
        kind = why_not_public(parsed)
        if kind is None or host.lower().rstrip(".") in self.hosts or any(parsed in net for net in self.networks):
            return
        via = "" if _as_address(host) is not None else f" (host {host!r} resolves to it)"
        raise UnsafeURLError(
            f"refused {url or host!r}: {address} is a {kind} address{via}; "
            "add the host or range to QA_FETCH_ALLOW to fetch it anyway"
        )


def _as_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
