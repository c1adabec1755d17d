"""Target URL rules (API.md §19.4): the syntax, checked once, and where the host points, checked when a
subscription is written and again before every delivery attempt (DNS answers can change in between).

Without this check, any API caller could make the server POST to its own loopback interface, the
cloud metadata address or hosts of the private network it runs in.

`check_target` resolves the host once and returns the addresses it checked; the sender connects to
exactly those (never to the name again), so a name that answers a public address to the check and a
private one a moment later (DNS rebinding) cannot steer a delivery inside.

A refusal tells the caller only that the target is not allowed (`REFUSED`): which address a name
resolved to, or that it did not resolve, would map the server's private network for any key
holder. The reason with those details (`TargetCheck.why`) is for the server's own log.
"""

import asyncio
import ipaddress
import logging
import socket
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import SplitResult, urlsplit

from rentengine.errors import Detail, detail

MAX_URL_LENGTH = 2048
SCHEMES = ("http", "https")
# A resolver that does not answer must not hold a request (or a worker slot) for long.
RESOLVE_TIMEOUT_SECONDS = 5.0
# NAT64's well-known prefix: the last 32 bits are the IPv4 address actually reached.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# All that a refused target is told, whatever the reason.
REFUSED = "the target is not allowed"

log = logging.getLogger(__name__)


def _url_error(path: str, keyword: str, message: str, params: dict[str, object] | None = None) -> Detail:
    return detail(keyword, path, message, params or {})


def _split(url: str) -> SplitResult | None:
    """The parsed URL, or None when it cannot be parsed or its port is not a number in range."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return None
    return parts


def validate_target_url(url: str, path: str = "/url") -> list[Detail]:
    """Syntax rules: http(s) only, at most 2,048 characters, a host, no credentials; [] when fine."""
    if len(url) > MAX_URL_LENGTH:
        return [
            _url_error(
                path,
                "maxLength",
                f"must NOT have more than {MAX_URL_LENGTH} characters",
                {"limit": MAX_URL_LENGTH},
            )
        ]
    parts = _split(url)
    # Whitespace and control characters are refused rather than silently percent-encoded by a client.
    if parts is None or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return [_url_error(path, "format", 'must match format "uri"', {"format": "uri"})]
    if parts.scheme.lower() not in SCHEMES:
        return [_url_error(path, "scheme", "must be an http or https URL", {"allowedValues": list(SCHEMES)})]
    errors: list[Detail] = []
    if not parts.hostname:
        errors.append(_url_error(path, "format", "must have a host", {"format": "uri"}))
    if parts.username is not None or parts.password is not None:
        # Credentials in a URL end up in logs; receivers authenticate with `api_key` instead.
        errors.append(
            _url_error(path, "credentials", "must NOT contain a user name or password; use api_key")
        )
    return errors


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and routes to (mapped, 6to4, NAT64), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_kind(address: IPAddress) -> str | None:
    """Why a connection to this address is not a public one (e.g. "loopback"); None when global."""
    inner = _embedded_ipv4(address)
    if inner is not None:
        return address_kind(inner)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("multicast", address.is_multicast),
        ("link-local", address.is_link_local),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("non-global", not address.is_global),
    )
    return next((kind for kind, matched in checks if matched), None)


# Refused even when private targets are allowed: nothing can receive an HTTP request there.
_NEVER_ALLOWED = frozenset({"unspecified", "multicast"})


async def _resolve(host: str, port: int) -> list[IPAddress] | None:
    """Every address the host resolves to (literal IPs included); None when it does not resolve."""
    literal = _literal(host)
    if literal is not None:  # no resolver round trip (a thread per call) for what is already an address
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_SECONDS
        )
    except (OSError, UnicodeError, TimeoutError):
        return None
    addresses: list[IPAddress] = []
    for info in infos:
        try:
            addresses.append(ipaddress.ip_address(info[4][0]))
        except ValueError:  # an address family we cannot classify is not a place to send to
            return None
    return addresses or None


@dataclass(frozen=True, slots=True)
class TargetCheck:
    """What one check of a URL found: the addresses to connect to, or why none may be used."""

    # Every address the host resolved to, in the resolver's order; all of them passed the check.
    # Empty when refused.
    addresses: tuple[IPAddress, ...]
    # None when allowed; else the reason, which may name addresses: for the server's log only.
    why: str | None

    @property
    def allowed(self) -> bool:
        return self.why is None


async def check_target(url: str, allow_private: bool) -> TargetCheck:
    """Resolves the URL's host once and checks every address; connect only to `addresses`."""
    known = _without_resolver(url, allow_private)
    if known is not None:
        return known
    parts = urlsplit(url)
    host = parts.hostname or ""
    default_port = 443 if parts.scheme.lower() == "https" else 80
    addresses = await _resolve(host, parts.port or default_port)
    if addresses is None:
        return TargetCheck((), f"the host {host} does not resolve")
    why = _refusal(host, addresses, allow_private)
    if why is not None:
        return TargetCheck((), why)
    return TargetCheck(tuple(dict.fromkeys(addresses)), None)  # once each, in the resolver's order


async def refused_target(url: str, allow_private: bool) -> str | None:
    """Why this URL must not be sent to (for the server's log), or None when every address its host
    resolves to is fine."""
    return (await check_target(url, allow_private)).why


@lru_cache(maxsize=4096)
def _without_resolver(url: str, allow_private: bool) -> TargetCheck | None:
    """None for a host name; else the verdict on a URL whose host is an IP literal (or that has no
    host), which no DNS answer can change, so the worker does not redo it before every attempt."""
    parts = _split(url)
    host = parts.hostname if parts is not None else None
    if parts is None or not host:
        return TargetCheck((), "the URL has no host")
    literal = _literal(host)
    if literal is None:
        return None
    why = _refusal(host, [literal], allow_private)
    return TargetCheck((), why) if why is not None else TargetCheck((literal,), None)


def _refusal(host: str, addresses: list[IPAddress], allow_private: bool) -> str | None:
    for address in addresses:
        kind = address_kind(address)
        if kind is not None and (not allow_private or kind in _NEVER_ALLOWED):
            article = "an" if kind[0] in "aeiou" else "a"
            if _is_literal(host):
                return f"{host} is {article} {kind} address"
            return f"the host {host} resolves to {address}, {article} {kind} address"
    return None


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _is_literal(host: str) -> bool:
    return _literal(host) is not None


async def target_errors(url: str, allow_private: bool, path: str = "/url") -> list[Detail]:
    """Both checks as 400 details: the syntax first, then (only for a well-formed URL) the target, whose
    refusal says no more than `REFUSED`."""
    errors = validate_target_url(url, path)
    if errors:
        return errors
    why = await refused_target(url, allow_private)
    if why is None:
        return []
    log.info("webhook target %s refused: %s", url, why)
    return [_url_error(path, "publicTarget", REFUSED)]
