"""The mock refuses exactly what the real server refuses, with the same status and body.

That is every refusal the document can express (query, path and body schemas, content type, size,
NUL), and the body rules the services check before touching the database (create-only required
fields, one-of identifiers, year bounds; `rentengine.mock.checks`). Rules that need stored state
(an unknown `id`, an inaccessible account) are not the mock's: it has no state, and it answers the
documented example instead.

Each request goes to both: the real app (with a real token, on SQLite and PostgreSQL) and the mock
(with any token, or none). The operations are read from the document.
"""

from typing import Any

import httpx

from tests.factories import Tenant
from tests.mock.conftest import TOKEN, concrete_url, operations

NOT_JSON = {"content": b"community_name=x", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}
BAD_REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/units?limit=500", {}),
    ("GET", "/units?page_number=-1&statuses=Nope", {}),
    ("GET", "/units?no_such_param=1", {}),
    ("GET", "/units?limit=1&limit=2", {}),
    ("GET", "/lockbox_events?limit=5&page_number=1&limit=6", {}),
    ("GET", "/multifamily_properties?account_id=not-a-uuid&deleted=maybe", {}),
    ("GET", "/lockbox_events?created_at_from=2024-01-01", {}),
    ("GET", "/units?city=a%00b", {}),
    ("POST", "/multifamily_properties", {"json": {"id": "x", "unit_count": -1}}),
    ("POST", "/multifamily_properties", {"json": {"community_name": "", "building_count": "3"}}),
    ("POST", "/multifamily_properties", {"json": [1, 2]}),
    ("POST", "/multifamily_properties", {"content": b'{"community_name": ', "headers": {}}),
    ("POST", "/multifamily_properties", NOT_JSON),
    ("POST", "/lockboxes", {"json": {"lockbox_type": "Codebox", "serial_numbers": []}}),
    ("POST", "/lockbox_events", {"json": {"events": [{"event_type": "Open"}]}}),
    ("POST", "/units", {"json": {"status": "Available", "paid_feed_requirements": []}}),
    ("POST", "/units", {"json": {"property_type": "CONDO"}}),
    ("POST", "/units", {"json": {"id": 5, "year_built": 3000}}),
    ("POST", "/multifamily_properties", {"json": {"community_name": "Sunset Towers"}}),
    ("POST", "/lockboxes/generate_code", {"json": {"date": "2026-01-31"}}),
    ("POST", "/webhooks", {"json": {"url": "https://example.com/hooks"}}),
    ("DELETE", "/webhooks/not-a-uuid", {}),
    ("POST", "/webhook_deliveries/123/redeliver", {}),
]


async def send(
    client: httpx.AsyncClient, method: str, path: str, token: dict[str, str], kw: dict[str, Any]
) -> httpx.Response:
    headers = {**token, **kw.get("headers", {})}
    rest = {k: v for k, v in kw.items() if k != "headers"}
    return await client.request(method, path, headers=headers, **rest)


async def test_bad_requests_get_the_real_servers_400(
    client: httpx.AsyncClient, mock: httpx.AsyncClient, tenant: Tenant
) -> None:
    for method, path, kw in BAD_REQUESTS:
        real = await send(client, method, path, tenant.headers, kw)
        mocked = await send(mock, method, path, TOKEN, kw)
        assert real.status_code == 400, (method, path, real.text)
        assert (mocked.status_code, mocked.json()) == (real.status_code, real.json()), (method, path, kw)


async def test_unknown_body_fields_are_refused_like_the_real_server(
    client: httpx.AsyncClient, mock: httpx.AsyncClient, tenant: Tenant, document: dict[str, Any]
) -> None:
    for method, path, op in operations(document):
        if "requestBody" not in op:
            continue
        url = concrete_url(document, path, op)
        kw = {"json": {"no_such_field": 1}}
        real = await send(client, method, url, tenant.headers, kw)
        mocked = await send(mock, method, url, TOKEN, kw)
        assert real.status_code == 400
        assert (mocked.status_code, mocked.json()) == (400, real.json()), (method, path)


async def test_missing_or_malformed_tokens_get_401_everywhere(
    client: httpx.AsyncClient, mock: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    for method, path, op in operations(document):
        url = concrete_url(document, path, op)
        if op.get("security") == []:  # public (the listings feed): answered without a token
            assert (await mock.request(method, url)).status_code != 401, (method, path)
            continue
        for auth in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}):
            mocked = await mock.request(method, url, headers=auth)
            assert mocked.status_code == 401, (method, path, auth)
            assert mocked.json() == {"error": "Unauthorized"}
            assert mocked.headers["WWW-Authenticate"] == "Bearer"
    # A bad body without a token: the token check comes first on both servers; malformed JSON
    # is refused before any check on both.
    for kw in ({"json": {"no_such_field": 1}}, {"content": b"{", "headers": {}}):
        real = await send(client, "POST", "/multifamily_properties", {}, kw)
        mocked = await send(mock, "POST", "/multifamily_properties", {}, kw)
        assert (mocked.status_code, mocked.json()) == (real.status_code, real.json())


async def test_unknown_paths_and_methods_like_the_real_server(
    client: httpx.AsyncClient, mock: httpx.AsyncClient, tenant: Tenant
) -> None:
    for method, path in (
        ("GET", "/no_such_thing"),
        ("PUT", "/units"),
        ("DELETE", "/multifamily_properties"),
        ("GET", "/webhooks/123e4567-e89b-12d3-a456-426614174000/test"),
    ):
        real = await client.request(method, path, headers=tenant.headers)
        mocked = await mock.request(method, path, headers=TOKEN)
        assert real.status_code in (404, 405)
        assert (mocked.status_code, mocked.json()) == (real.status_code, real.json()), (method, path)
        assert mocked.headers.get("Allow") == real.headers.get("Allow")


async def test_oversized_bodies_get_413(mock: httpx.AsyncClient) -> None:
    big = b'{"description": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = await mock.post(
        "/multifamily_properties", content=big, headers={**TOKEN, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {"error": "Request body too large"}
