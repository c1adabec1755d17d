"""The request id as the app sees it: kept when well-formed, replaced otherwise (also for values no
HTTP client would send, given here as raw ASGI headers), and on every log line of the request."""

import io
import logging
import re
from typing import Any

import httpx
import orjson
import pytest
from starlette.types import Message

from rentengine.app import create_app
from rentengine.observability.logs import JsonFormatter, RequestIdFilter, redact
from rentengine.runtime import Runtime
from tests.conftest import make_settings
from tests.factories import Tenant, make_tenant

GENERATED = re.compile(r"[0-9a-f]{32}")


async def _asgi_get(runtime: Runtime, path: str, headers: list[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    """The response headers of one GET sent straight to the ASGI app, headers exactly as given."""
    app = create_app(runtime.settings, runtime)
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    [start] = [m for m in sent if m["type"] == "http.response.start"]
    return dict(start["headers"])


@pytest.mark.parametrize(
    "value",
    [
        b"a" * 129,
        b"abc\r\nX-Injected: 1",
        b"abc\ndef",
        b"caf\xc3\xa9",
        b"\xff\xfe",
        b"",
        b"has space",
        b'quote"d',
    ],
    ids=["too-long", "crlf", "lf", "utf8", "latin1", "empty", "space", "quote"],
)
async def test_a_malformed_request_id_is_replaced(runtime: Runtime, value: bytes) -> None:
    headers = await _asgi_get(runtime, "/healthz", [(b"x-request-id", value)])
    assert GENERATED.fullmatch(headers[b"x-request-id"].decode())


@pytest.mark.parametrize("value", ["a" * 128, "lb-3f1e7a2c", "Root=1-5759e988-bd862e3fe1be46a994272793"])
async def test_a_well_formed_request_id_is_kept(runtime: Runtime, value: str) -> None:
    headers = await _asgi_get(runtime, "/healthz", [(b"x-request-id", value.encode())])
    assert headers[b"x-request-id"] == value.encode()


async def test_each_request_without_an_id_gets_its_own(client: httpx.AsyncClient) -> None:
    ids = {(await client.get("http://testserver/healthz")).headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3
    assert all(GENERATED.fullmatch(i) for i in ids)


async def test_a_refused_request_has_an_id_too(client: httpx.AsyncClient) -> None:
    response = await client.get("/units", headers={"X-Request-Id": "refused-1"})
    assert response.status_code == 401
    assert response.headers["x-request-id"] == "refused-1"


@pytest.fixture
def json_log() -> Any:
    """The `rentengine` loggers' lines as `serve --log-format json` writes them, in memory."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("rentengine")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(previous)


async def test_a_line_logged_while_handling_a_request_carries_its_id(
    database_url: str, tenant: Tenant, json_log: io.StringIO
) -> None:
    # A rate-limit store that cannot be reached: the limiter logs a warning inside the request.
    runtime = Runtime.build(
        make_settings(database_url, rate_limit="100/second", rate_limit_storage="redis://127.0.0.1:1")
    )
    try:
        user = await make_tenant(runtime)
        app = create_app(runtime.settings, runtime)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as api:
            response = await api.get(
                "/api/public/v1/units", headers={**user.headers, "X-Request-Id": "limiter-down-1"}
            )
        assert response.status_code == 200
    finally:
        await runtime.close()
    lines = [orjson.loads(line) for line in json_log.getvalue().splitlines()]
    [warning] = [line for line in lines if line["logger"] == "rentengine.auth.ratelimit"]
    assert warning["request_id"] == "limiter-down-1"
    assert warning["level"] == "WARNING"
    assert tenant.token not in json_log.getvalue()


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig_nature-1 refused", "eyJhbGciOiJIUzI1NiJ9"),
        ("secret whsec_c2VjcmV0LXNpZ25pbmcta2V5 in use", "whsec_c2VjcmV0"),
        ("target https://user:pa55word@hooks.example.com/x refused", "pa55word"),
        ('{"password": "hunter2-long"}', "hunter2-long"),
        ("api_key=k-12345 sent", "k-12345"),
    ],
)
def test_redact_masks_what_looks_like_a_secret(text: str, secret: str) -> None:
    assert secret not in redact(text)
    assert "[redacted]" in redact(text)


def test_redact_keeps_ordinary_text() -> None:
    line = '127.0.0.1:5000 - "GET /api/public/v1/units/12 HTTP/1.1" 200 1.20 ms'
    assert redact(line) == line


async def test_an_unexpected_error_keeps_its_request_id(runtime: Runtime, json_log: io.StringIO) -> None:
    app = create_app(runtime.settings, runtime)

    @app.get("/fails", include_in_schema=False)
    async def fails() -> None:
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
        response = await api.get("/fails", headers={"X-Request-Id": "bug-1"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "bug-1"
    lines = [orjson.loads(line) for line in json_log.getvalue().splitlines()]
    [error] = [line for line in lines if line["message"] == "unhandled error"]
    assert error["request_id"] == "bug-1"
    assert "RuntimeError: a bug" in error["exception"]
