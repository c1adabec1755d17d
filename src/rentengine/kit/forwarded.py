"""The client's address when the server sits behind reverse proxies (`X-Forwarded-For`).

Each proxy appends the address it received the request from, so the header reads
`client, proxy1, proxy2` and the server's peer is the last proxy. Anyone can send the header, so
only the entries added by proxies we trust can be believed: starting from the peer, walk the header
from the right while the address at hand is a trusted proxy; the first address that is not one is
the client. A peer that is not a trusted proxy is the client itself, whatever its header says.
"""

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

from starlette.types import Scope

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "-"


@lru_cache(maxsize=32)
def trusted_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """The networks of `RENTENGINE_TRUSTED_PROXIES` entries (addresses or CIDRs)."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def parse_address(text: str) -> IPAddress | None:
    """An address as a header or a peer gives it (`1.2.3.4`, `1.2.3.4:567`, `[::1]:567`, `::1`), or None."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has several colons
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IPAddress, trusted: Sequence[IPNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: Sequence[IPNetwork]) -> str:
    """The client's address: the peer, or behind trusted proxies the nearest untrusted forwarded hop.

    `forwarded_for` holds the values of every `X-Forwarded-For` header, in order. When every hop is
    trusted the leftmost one is the answer; a hop that is not an address ends the walk at the last
    trusted one (what a trusted proxy passed on cannot be read, so nothing before it can be believed).
    """
    if not peer:
        return UNKNOWN
    current = parse_address(peer)
    if current is None or not _is_trusted(current, trusted):
        return peer
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            break
        current = address
        if not _is_trusted(address, trusted):
            break
    return str(current)


def request_client_address(scope: Scope, trusted_proxies: Sequence[str]) -> str:
    """`client_address` of an ASGI request, given `RENTENGINE_TRUSTED_PROXIES`."""
    client = scope.get("client")
    peer = str(client[0]) if client else None
    forwarded = [
        value.decode("latin-1") for name, value in scope.get("headers", []) if name == b"x-forwarded-for"
    ]
    return client_address(peer, forwarded, trusted_networks(tuple(trusted_proxies)))
