"""`X-Content-Type-Options: nosniff` on every response, HSTS over HTTPS, and the body limit on portal
form posts."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from rentengine.app import create_app
from rentengine.portal.sessions import LOGIN_CSRF_COOKIE
from rentengine.runtime import Runtime
from tests.conftest import make_settings
from tests.factories import Tenant

MIB = 1024 * 1024
API = "/api/public/v1"
HSTS = "strict-transport-security"


def _client(runtime: Runtime, base_url: str = "http://testserver") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(runtime.settings, runtime))
    return httpx.AsyncClient(transport=transport, base_url=base_url)


async def _every_kind_of_response(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, httpx.Response]:
    """One response of each kind the server gives, by a name for the failure message."""
    auth = tenant.headers
    big = b"x" * (MIB + 1)
    return {
        "API 200": await client.get(f"{API}/units", headers=auth),
        "API 401": await client.get(f"{API}/units"),
        "API 400": await client.get(f"{API}/units?limit=none", headers=auth),
        "API 404": await client.get(f"{API}/nowhere", headers=auth),
        "API 405": await client.delete(f"{API}/units", headers=auth),
        "API 413": await client.post(
            f"{API}/units", content=big, headers={**auth, "Content-Type": "application/json"}
        ),
        "404": await client.get("/nowhere"),
        "docs": await client.get("/docs"),
        "OpenAPI document": await client.get("/openapi.json"),
        "health": await client.get("/healthz"),
        "metrics": await client.get("/metrics"),
        "portal page": await client.get("/portal/login"),
        "portal redirect": await client.get("/portal/keys"),
        "portal static file": await client.get("/portal/static/portal.css"),
        "portal 413": await client.post(
            "/portal/login", content=big, headers={"Content-Type": "application/x-www-form-urlencoded"}
        ),
    }


async def test_every_response_says_nosniff(runtime: Runtime, tenant: Tenant) -> None:
    async with _client(runtime) as client:
        responses = await _every_kind_of_response(client, tenant)
    statuses = {name: r.status_code for name, r in responses.items()}
    assert statuses == {
        "API 200": 200,
        "API 401": 401,
        "API 400": 400,
        "API 404": 404,
        "API 405": 405,
        "API 413": 413,
        "404": 404,
        "docs": 200,
        "OpenAPI document": 200,
        "health": 200,
        "metrics": 200,
        "portal page": 200,
        "portal redirect": 303,
        "portal static file": 200,
        "portal 413": 413,
    }
    assert {name: r.headers.get_list("x-content-type-options") for name, r in responses.items()} == {
        name: ["nosniff"] for name in responses
    }
    # Served over plain HTTP with an http public base URL: no HSTS (a browser would ignore it anyway).
    assert [name for name, r in responses.items() if HSTS in r.headers] == []


async def test_hsts_when_the_request_came_over_https(runtime: Runtime, tenant: Tenant) -> None:
    async with _client(runtime, "https://testserver") as client:
        responses = await _every_kind_of_response(client, tenant)
    assert {name: r.headers.get(HSTS) for name, r in responses.items()} == dict.fromkeys(
        responses, "max-age=31536000"
    )


@pytest.fixture
async def https_runtime(database_url: str) -> AsyncIterator[Runtime]:
    runtime = Runtime.build(make_settings(database_url, public_base_url="https://rent.example.com"))
    yield runtime
    await runtime.db.dispose()


async def test_hsts_when_the_public_base_url_is_https(https_runtime: Runtime, tenant: Tenant) -> None:
    """Behind a proxy that terminates TLS without saying so, the configured origin decides."""
    async with _client(https_runtime) as client:
        responses = await _every_kind_of_response(client, tenant)
    assert {name: r.headers.get(HSTS) for name, r in responses.items()} == dict.fromkeys(
        responses, "max-age=31536000"
    )


async def _stream(content: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(content), 64 * 1024):
        yield content[start : start + 64 * 1024]


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_portal_form_over_one_mebibyte_is_413(runtime: Runtime, chunked: bool) -> None:
    async with _client(runtime) as client:
        page = await client.get("/portal/login")
        token = page.cookies[LOGIN_CSRF_COOKIE]
        form: dict[str, Any] = {"email": "someone@example.com", "password": "x", "csrf_token": token}
        small = httpx.Request("POST", "http://testserver/portal/login", data=form).read()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        # A form within the limit is read (and refused for its wrong password)...
        within = small + b"&padding=" + b"x" * (MIB - len(small) - len(b"&padding="))
        assert len(within) == MIB
        response = await client.post("/portal/login", content=within, headers=headers)
        assert response.status_code == 401
        # ...one byte more is not read at all.
        over = within + b"x"
        request = client.build_request(
            "POST", "/portal/login", content=_stream(over) if chunked else over, headers=headers
        )
        assert ("content-length" in request.headers) is not chunked
        response = await client.send(request)
    assert response.status_code == 413
    assert response.json() == {"error": "Request body too large"}
