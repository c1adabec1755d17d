"""The worker's HTTP/1.1 client against scripted local servers: the exact request bytes,
keep-alive reuse, what makes a connection unusable, body limits, TLS, and errors."""

import asyncio
import ipaddress
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import uvloop

from rentengine.webhooks.delivery.http11 import DRAIN_BYTES, HttpClient, HttpError, origin_of

# A server's script: reads the request head and body, writes the answer (or not).
Handler = Callable[[bytes, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[bool]]


class Server:
    """Counts connections and keeps every raw request; `handler` answers (False: close)."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[bytes] = []
        self.port = 0
        self.tasks: set[asyncio.Task[Any]] = set()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                if not await self.handler(request, reader, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def serving(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[Server]:
    server = Server(handler)
    listening = await asyncio.start_server(server.serve, "127.0.0.1", 0, ssl=tls)
    server.port = listening.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listening.close()
        for task in server.tasks:
            task.cancel()
        await asyncio.gather(*server.tasks, return_exceptions=True)


def answer(raw: bytes, keep: bool = True) -> Handler:
    async def handler(_request: bytes, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        writer.write(raw)
        await writer.drain()
        return keep

    return handler


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine"
# The addresses a target check passed: the client connects to these, never to the URL's host name.
LOOPBACK = (ipaddress.IPv4Address("127.0.0.1"),)


def client(**options: object) -> HttpClient:
    return HttpClient({"User-Agent": "test-agent"}, max_idle=4, **options)  # type: ignore[arg-type]


async def test_the_request_is_exactly_one_post_with_host_length_and_headers() -> None:
    async with serving(answer(OK)) as server:
        http = client()
        url = f"http://127.0.0.1:{server.port}/hooks/ü%20x?a=1"
        response = await http.post(
            url, b'{"a": 1}', {"webhook-id": "msg_1"}, keep_bytes=100, addresses=LOOPBACK
        )
        await http.aclose()
    assert (response.status, response.body) == (200, b"fine")
    head, _, body = server.requests[0].partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /hooks/%C3%BC%20x?a=1 HTTP/1.1"
    assert lines[1:] == [
        f"Host: 127.0.0.1:{server.port}",
        "User-Agent: test-agent",
        "webhook-id: msg_1",
        "Content-Length: 8",
    ]
    assert body == b'{"a": 1}'


async def test_keep_alive_reuses_one_connection_and_a_closed_one_is_replaced() -> None:
    async with serving(answer(OK)) as server:
        http = client()
        url = f"http://127.0.0.1:{server.port}/"
        for _ in range(3):
            assert (await http.post(url, b"x", {}, 10, LOOPBACK)).status == 200
        assert server.connections == 1
        await http.aclose()
    async with serving(answer(OK, keep=False)) as closing:  # closes after each answer
        http = client()
        url = f"http://127.0.0.1:{closing.port}/"
        for _ in range(3):
            assert (await http.post(url, b"x", {}, 10, LOOPBACK)).status == 200
            await asyncio.sleep(0.05)  # the close arrives while the connection is idle
        await http.aclose()
    assert closing.connections == 3
    assert len(closing.requests) == 3  # none was sent on a dead connection


async def test_connection_close_chunked_and_eof_delimited_answers() -> None:
    cases = [
        (b"HTTP/1.1 201 Created\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", 201, b"ok", {}),
        (
            b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\nRetry-After: 7\r\n\r\n"
            b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            500,
            b"abcde",
            {"retry-after": "7"},
        ),
        (b"HTTP/1.0 200 OK\r\n\r\nuntil the end", 200, b"until the end", {}),
    ]
    for raw, status, body, headers in cases:
        async with serving(answer(raw, keep=False)) as server:
            http = client()
            response = await http.post(f"http://127.0.0.1:{server.port}/", b"x", {}, 100, LOOPBACK)
            await http.aclose()
        assert (response.status, response.body, response.headers) == (status, body, headers)


async def test_a_redirect_is_an_answer_with_its_location() -> None:
    raw = b"HTTP/1.1 302 Found\r\nLocation: http://elsewhere/x\r\nContent-Length: 0\r\n\r\n"
    async with serving(answer(raw)) as server:
        http = client()
        response = await http.post(f"http://127.0.0.1:{server.port}/", b"x", {}, 100, LOOPBACK)
        await http.aclose()
    assert (response.status, response.headers) == (302, {"location": "http://elsewhere/x"})
    assert len(server.requests) == 1


async def test_only_the_start_of_a_body_is_kept_and_a_huge_one_is_not_read_to_its_end() -> None:
    small = b"x" * 5000
    huge = 4 * DRAIN_BYTES
    answers = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + small,
        f"HTTP/1.1 200 OK\r\nContent-Length: {huge}\r\n\r\n".encode() + b"y" * huge,
    ]
    async with serving(answer(answers[0])) as server:
        http = client()
        url = f"http://127.0.0.1:{server.port}/"
        assert (await http.post(url, b"x", {}, 16, LOOPBACK)).body == b"x" * 16
        assert (await http.post(url, b"x", {}, 0, LOOPBACK)).body == b""
        assert server.connections == 1  # a small body is read to its end: the connection stays
        await http.aclose()
    async with serving(answer(answers[1])) as server:
        http = client()
        url = f"http://127.0.0.1:{server.port}/"
        assert (await http.post(url, b"x", {}, 16, LOOPBACK)).body == b"y" * 16
        assert (await http.post(url, b"x", {}, 16, LOOPBACK)).status == 200
        assert server.connections == 2  # the rest of the huge body was never read
        await http.aclose()


async def test_no_answer_or_a_bad_one_is_an_error_and_is_not_sent_twice() -> None:
    async def hang_up(_r: bytes, _reader: asyncio.StreamReader, _w: asyncio.StreamWriter) -> bool:
        return False

    cases: list[tuple[Handler, str]] = [
        (hang_up, "closed the connection"),
        (answer(b"SMTP ready\r\n\r\n"), "invalid HTTP response"),
    ]
    for handler, message in cases:
        async with serving(handler) as server:
            http = client()
            with pytest.raises(HttpError, match=message):
                await http.post(f"http://127.0.0.1:{server.port}/", b"x", {}, 10, LOOPBACK)
            await http.aclose()
        assert len(server.requests) == 1


async def test_a_reused_connection_the_server_dropped_unanswered_is_retried_once_on_a_new_one() -> None:
    calls = 0

    async def first_answers_then_drops(
        _r: bytes, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        nonlocal calls
        calls += 1
        if calls == 2:  # the second request, on the kept connection: dropped without an answer
            return False
        writer.write(OK)
        await writer.drain()
        return True

    async with serving(first_answers_then_drops) as server:
        http = client()
        url = f"http://127.0.0.1:{server.port}/"
        assert (await http.post(url, b"x", {}, 10, LOOPBACK)).status == 200
        assert (await http.post(url, b"x", {}, 10, LOOPBACK)).status == 200
        await http.aclose()
    assert (server.connections, len(server.requests)) == (2, 3)


async def test_header_injection_and_unsupported_urls_are_refused() -> None:
    http = client()
    with pytest.raises(ValueError, match="invalid value"):
        await http.post("http://127.0.0.1:9/", b"x", {"X-API-Key": "a\r\nEvil: 1"}, 10, LOOPBACK)
    with pytest.raises(ValueError, match="scheme"):
        await http.post("ftp://127.0.0.1/", b"x", {}, 10, LOOPBACK)
    assert origin_of("https://[::1]/p").host_header == "[::1]"
    assert origin_of("http://bücher.example:8080").host_header == "xn--bcher-kva.example:8080"
    await http.aclose()


async def test_a_cancelled_exchange_closes_its_connection() -> None:
    async def slow(_r: bytes, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(1)
        writer.write(OK)
        return True

    async with serving(slow) as server:
        http = client()
        url = f"http://127.0.0.1:{server.port}/"
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await http.post(url, b"x", {}, 10, LOOPBACK)
        assert not http._idle.get(origin_of(url))
        await http.aclose()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:hooks.example"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_https_verifies_the_certificate(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    async with serving(answer(OK), tls=server_tls) as server:
        url = f"https://127.0.0.1:{server.port}/"
        untrusting = client()  # certifi's roots: a self-signed certificate is refused
        with pytest.raises(ssl.SSLCertVerificationError):
            await untrusting.post(url, b"x", {}, 10, LOOPBACK)
        await untrusting.aclose()
        trusting = client(tls=ssl.create_default_context(cafile=str(cert)))
        assert (await trusting.post(url, b"x", {}, 10, LOOPBACK)).body == b"fine"
        assert (await trusting.post(url, b"x", {}, 10, LOOPBACK)).status == 200
        await trusting.aclose()
    assert server.connections == 1  # the refused handshake never got through; then one kept connection


async def test_it_connects_to_the_address_given_and_keeps_the_name_for_host_and_tls(
    certificate: tuple[Path, Path],
) -> None:
    # hooks.example resolves nowhere: only the address handed over can be what is connected to.
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    async with serving(answer(OK), tls=server_tls) as server:
        http = client(tls=ssl.create_default_context(cafile=str(cert)))
        response = await http.post(f"https://hooks.example:{server.port}/in", b"x", {}, 10, LOOPBACK)
        # The certificate is valid for 127.0.0.1 too, but it is checked against the URL's name.
        with pytest.raises(ssl.SSLCertVerificationError):
            await http.post(f"https://other.example:{server.port}/in", b"x", {}, 10, LOOPBACK)
        await http.aclose()
    assert response.body == b"fine"
    assert f"Host: hooks.example:{server.port}\r\n".encode() in server.requests[0]


async def test_a_kept_connection_is_reused_only_for_an_address_still_handed_over() -> None:
    async with serving(answer(OK)) as first:
        # A second server on the same port of another loopback address.
        second = Server(answer(OK))
        listening = await asyncio.start_server(second.serve, "127.0.0.2", first.port)
        try:
            http = client()
            url = f"http://hooks.example:{first.port}/"
            assert (await http.post(url, b"x", {}, 10, LOOPBACK)).status == 200
            other = (ipaddress.IPv4Address("127.0.0.2"),)
            assert (await http.post(url, b"x", {}, 10, other)).status == 200
            both = (*LOOPBACK, *other)
            assert (await http.post(url, b"x", {}, 10, both)).status == 200
            await http.aclose()
        finally:
            listening.close()
            for task in second.tasks:
                task.cancel()
            await asyncio.gather(*second.tasks, return_exceptions=True)
    assert (len(first.requests), len(second.requests)) == (1, 2)


async def test_each_address_is_tried_in_turn_and_none_is_an_error() -> None:
    async with serving(answer(OK)) as server:
        http = client()
        url = f"http://hooks.example:{server.port}/"
        # Nothing listens on 127.0.0.3 at that port: refused, then the next address answers.
        refusing = ipaddress.IPv4Address("127.0.0.3")
        assert (await http.post(url, b"x", {}, 10, (refusing, *LOOPBACK))).status == 200
        with pytest.raises(HttpError, match="no address"):
            await client().post(url, b"x", {}, 10, ())
        await http.aclose()
    assert len(server.requests) == 1


def test_it_runs_on_uvloop_as_in_the_worker_process() -> None:
    async def exchange() -> tuple[int, int]:
        async with serving(answer(OK)) as server:
            http = client()
            url = f"http://127.0.0.1:{server.port}/"
            statuses = [(await http.post(url, b"x", {}, 10, LOOPBACK)).status for _ in range(3)]
            await http.aclose()
        assert statuses == [200, 200, 200]
        return server.connections, len(server.requests)

    assert uvloop.run(exchange()) == (1, 3)
