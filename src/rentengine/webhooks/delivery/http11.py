"""A small HTTP/1.1 client for webhook POSTs: keep-alive connections, nothing else.

The worker sends thousands of small POSTs a second; a general-purpose client (httpx) spends about a
millisecond of CPU on each, more than the rest of a delivery together. This one writes the request
in one `write` and parses the answer with `httptools` (the C parser uvicorn uses, a dependency of
`uvicorn[standard]`), on a plain `asyncio.Protocol`.

What it does, and all it does:
- `http` and `https` (certificates verified against certifi's bundle, like httpx), any port;
- connects only to the IP addresses the caller hands it (those its target check passed: see
  `urls.check_target`), never to the host name, which it resolves nowhere; the name is still the
  `Host` header, the TLS server name (SNI) and what the certificate must be valid for;
- one request per connection at a time; idle connections are kept per (scheme, host, port) and
  reused only when their address is among those handed to the request; one the server closed is
  never reused;
- never follows redirects: a 3xx is an answer like any other (with its `Location`);
- keeps at most `keep_bytes` of the response body; a body longer than `DRAIN_BYTES` (and than
  `keep_bytes`) is not read to its end: the connection is closed instead;
- no proxies, no cookies, no compression (it sends no `Accept-Encoding`), no `Expect: 100-continue`.

Timeouts are the caller's (`asyncio.timeout` around `request`): a cancelled exchange closes its
connection, whose state is then unknown.
"""

import asyncio
import ipaddress
import ssl
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, cast
from urllib.parse import quote, urlsplit

import httptools

# Bytes of an unwanted response body read to keep the connection, before closing it instead.
DRAIN_BYTES = 65_536
# Parsed URLs kept (one per subscription, typically).
URL_CACHE_SIZE = 4096
# Characters a request target keeps as they are; anything else (non-ASCII, spaces) is percent-encoded.
_TARGET_SAFE = "/%:@!$&'()*+,;=-._~?#[]"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class HttpError(Exception):
    """The exchange failed before a complete response head arrived (or the answer was not HTTP)."""


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    # The Host header's name and the TLS server name: a name, or an IP literal without brackets.
    # Never what is connected to: that is an address handed to `HttpClient.post`.
    host: str
    port: int
    host_header: str
    target: str  # path and query, as sent on the request line

    @property
    def tls(self) -> bool:
        return self.scheme == "https"


@lru_cache(maxsize=URL_CACHE_SIZE)
def origin_of(url: str) -> Origin:
    """The connection and request-line parts of an absolute http(s) URL; ValueError when it has none."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"unsupported URL scheme {parts.scheme!r}")
    host = parts.hostname
    if not host:
        raise ValueError("the URL has no host")
    default_port = 443 if scheme == "https" else 80
    port = parts.port or default_port
    if ":" in host:  # an IPv6 literal
        name = f"[{host}]"
    else:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
        name = host
    host_header = name if port == default_port else f"{name}:{port}"
    target = quote(parts.path or "/", safe=_TARGET_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_TARGET_SAFE)
    return Origin(scheme, host, port, host_header, target)


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    # Only the headers a delivery looks at, lower-cased names: location, retry-after.
    headers: dict[str, str]
    body: bytes  # the first `keep_bytes` of the body


_WANTED_HEADERS = frozenset({b"location", b"retry-after"})


class _Connection(asyncio.Protocol):
    """One keep-alive connection; `exchange` sends a request and waits for its answer."""

    def __init__(self, address: IPAddress) -> None:
        self.address = address  # the peer: one of the addresses a check passed
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[Response] | None = None
        self._keep = 0
        self._status = 0
        self._headers: dict[str, str] = {}
        self._body = bytearray()
        self._body_seen = 0
        self._head_done = False
        self._any_bytes = False

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have the same methods.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:  # nothing asked: a server talking out of turn
            self.close()
            return
        self._any_bytes = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(HttpError(f"invalid HTTP response: {exc}"))

    def eof_received(self) -> bool | None:
        self._lost("the server closed the connection")
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._lost(f"connection lost: {exc}" if exc else "the server closed the connection")

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        lowered = name.lower()
        if lowered in _WANTED_HEADERS:
            self._headers[lowered.decode("latin-1")] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self._status = self._parser.get_status_code()
        self._head_done = True

    def on_body(self, body: bytes) -> None:
        self._body_seen += len(body)
        room = self._keep - len(self._body)
        if room > 0:
            self._body += body[:room]
        if self._body_seen > max(self._keep, DRAIN_BYTES):
            # Enough: the rest is not read, so the connection cannot carry another request.
            self._finish(reusable=False)

    def on_message_complete(self) -> None:
        if self._status < 200:  # 1xx: an interim answer, the real one follows
            self._reset_message()
            return
        self._finish(reusable=self._parser.should_keep_alive())

    # the exchange

    async def exchange(self, request: bytes, keep: int) -> Response:
        assert self.transport is not None
        assert self._waiter is None
        self._reset_message()
        self._keep = keep
        self._any_bytes = False
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        try:
            return await self._waiter
        except BaseException:
            self.close()  # cancelled or failed: its state is unknown
            raise
        finally:
            self._waiter = None

    @property
    def answered_anything(self) -> bool:
        return self._any_bytes

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _reset_message(self) -> None:
        self._status, self._headers, self._body = 0, {}, bytearray()
        self._body_seen, self._head_done = 0, False

    def _finish(self, reusable: bool) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if not reusable:
            self.close()
        waiter.set_result(Response(self._status, self._headers, bytes(self._body)))

    def _fail(self, exc: Exception) -> None:
        self.close()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def _lost(self, reason: str) -> None:
        self.closed = True
        if self._head_done:  # a body delimited by the end of the connection (or cut short)
            self._finish(reusable=False)
        else:
            self._fail(HttpError(reason))


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:  # pragma: no cover - certifi comes with httpx
        return ssl.create_default_context()


class HttpClient:
    """Keep-alive connections per origin, at most `max_idle` idle ones per origin."""

    def __init__(
        self, default_headers: dict[str, str], max_idle: int, tls: ssl.SSLContext | None = None
    ) -> None:
        self._default = "".join(f"{k}: {v}\r\n" for k, v in default_headers.items())
        self.max_idle = max_idle
        self._tls = tls  # certifi's roots when None
        self._idle: dict[Origin, deque[_Connection]] = {}

    async def post(
        self,
        url: str,
        body: bytes,
        headers: dict[str, str],
        keep_bytes: int,
        addresses: Sequence[IPAddress],
    ) -> Response:
        """POSTs `body` once to one of `addresses` (tried in order) and returns the answer; raises
        HttpError or OSError when there is none.

        `addresses` are those the URL's host resolved to when its target was checked: the host name
        is not resolved again, so what is reached is what was checked.

        A request on a reused connection that the server had closed meanwhile (no answer at all) is
        sent once more on a new connection: the server never saw the first one.
        """
        origin = origin_of(url)
        request = self._request(origin, body, headers)
        connection = self._reusable(origin, addresses)
        if connection is not None:
            try:
                return await self._exchange(origin, connection, request, keep_bytes)
            except (HttpError, OSError):
                if connection.answered_anything:
                    raise
        connection = await self._connect(origin, addresses)
        return await self._exchange(origin, connection, request, keep_bytes)

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    def _request(self, origin: Origin, body: bytes, headers: dict[str, str]) -> bytes:
        head = [f"POST {origin.target} HTTP/1.1\r\nHost: {origin.host_header}\r\n", self._default]
        for name, value in headers.items():
            if "\r" in value or "\n" in value or "\x00" in value:
                raise ValueError(f"invalid value for header {name}")
            head.append(f"{name}: {value}\r\n")
        head.append(f"Content-Length: {len(body)}\r\n\r\n")
        return "".join(head).encode("latin-1") + body

    def _reusable(self, origin: Origin, addresses: Sequence[IPAddress]) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()  # the most recently used: the least likely to have timed out
            if connection.closed:
                continue
            if connection.address in addresses:
                return connection
            connection.close()  # the name no longer points there
        return None

    async def _connect(self, origin: Origin, addresses: Sequence[IPAddress]) -> _Connection:
        """A new connection to the first of `addresses` that accepts one."""
        if not addresses:
            raise HttpError("no address to connect to")
        loop = asyncio.get_running_loop()
        tls: dict[str, Any] = {}
        if origin.tls:
            # The certificate is checked against the name in the URL, not the address connected to.
            tls = {"ssl": self._tls or _tls_context(), "server_hostname": origin.host}
        failure: OSError | None = None
        for address in addresses:
            try:
                _, connection = await loop.create_connection(
                    partial(_Connection, address), str(address), origin.port, **tls
                )
            except OSError as exc:
                failure = exc
                continue
            return connection
        assert failure is not None
        raise failure

    async def _exchange(
        self, origin: Origin, connection: _Connection, request: bytes, keep_bytes: int
    ) -> Response:
        response = await connection.exchange(request, keep_bytes)
        if not connection.closed:
            idle = self._idle.setdefault(origin, deque())
            if len(idle) < self.max_idle:
                idle.append(connection)
            else:
                connection.close()
        return response
