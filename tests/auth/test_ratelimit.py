"""The per-token fixed-window rate limit and its headers (API.md §5.1)."""

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from rentengine.app import create_app
from rentengine.properties import repository as properties_repository
from rentengine.runtime import Runtime
from tests.auth.support import authenticated_operations, send
from tests.conftest import make_settings
from tests.factories import Tenant, make_key, property_body

HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
PATH = "/multifamily_properties"
MakeClient = Callable[..., httpx.AsyncClient]


def _limit_headers(response: httpx.Response) -> tuple[int, int, int]:
    limit, remaining, reset = (int(response.headers[name]) for name in HEADERS)
    return limit, remaining, reset


async def test_every_operation_answers_with_the_headers(
    make_client: MakeClient, runtime: Runtime, tenant: Tenant
) -> None:
    client = make_client(rate_limit="1000/minute")
    app = create_app(runtime.settings, runtime)
    previous = 1000
    async with client:
        for op in authenticated_operations(app):
            response = await send(client, app, op, tenant, tenant.headers)
            limit, remaining, reset = _limit_headers(response)
            assert (limit, remaining) == (1000, previous - 1), op
            assert 0 < reset <= 60, op
            previous = remaining


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        ("GET", f"{PATH}?limit=0", None, 400),
        ("GET", f"{PATH}?no_such_parameter=1", None, 400),
        ("POST", PATH, {"community_name": "X"}, 400),
        ("POST", PATH, {"id": "00000000-0000-4000-8000-000000000000", "unit_count": 3}, 404),
        ("GET", f"{PATH}?account_id=00000000-0000-4000-8000-000000000000", None, 403),
    ],
)
async def test_error_responses_carry_the_headers_and_count(
    make_client: MakeClient, tenant: Tenant, method: str, url: str, body: object, status: int
) -> None:
    async with make_client(rate_limit="5/minute") as client:
        for remaining in (4, 3):
            response = await client.request(method, url, json=body, headers=tenant.headers)
            assert response.status_code == status
            assert _limit_headers(response)[:2] == (5, remaining)


async def test_over_the_limit_is_429_with_retry_after(make_client: MakeClient, tenant: Tenant) -> None:
    async with make_client(rate_limit="3/minute") as client:
        statuses = [(await client.get(PATH, headers=tenant.headers)).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        response = await client.get(PATH, headers=tenant.headers)
    assert response.status_code == 429
    assert response.json() == {"error": "Too many requests"}
    limit, remaining, reset = _limit_headers(response)
    assert (limit, remaining) == (3, 0)
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert int(response.headers["retry-after"]) == max(1, reset)


async def test_a_refused_write_writes_nothing(make_client: MakeClient, tenant: Tenant) -> None:
    async with make_client(rate_limit="2/minute") as client:
        await client.get(PATH, headers=tenant.headers)
        await client.get(PATH, headers=tenant.headers)
        response = await client.post(PATH, json=property_body(tenant.account_id), headers=tenant.headers)
        assert response.status_code == 429
    async with make_client(rate_limit="off") as client:
        assert (await client.get(PATH, headers=tenant.headers)).json() == []
        assert (await client.get("/audit_log", headers=tenant.headers)).json() == []


async def test_each_token_is_counted_separately(
    make_client: MakeClient, runtime: Runtime, tenant: Tenant
) -> None:
    _, other_token = await make_key(runtime, tenant)
    other = {"Authorization": f"Bearer {other_token}"}
    async with make_client(rate_limit="2/minute") as client:
        assert [(await client.get(PATH, headers=tenant.headers)).status_code for _ in range(3)] == [
            200,
            200,
            429,
        ]
        # Another token of the same user still has its whole allowance.
        first = await client.get(PATH, headers=other)
        assert first.status_code == 200
        assert _limit_headers(first)[1] == 1


async def test_the_window_resets(make_client: MakeClient, tenant: Tenant) -> None:
    async with make_client(rate_limit="3/2seconds") as client:
        responses = [await client.get(PATH, headers=tenant.headers) for _ in range(4)]
        assert [r.status_code for r in responses] == [200, 200, 200, 429]
        wait = int(responses[-1].headers["retry-after"])
        assert 1 <= wait <= 2
        await asyncio.sleep(wait + 0.1)
        response = await client.get(PATH, headers=tenant.headers)
        assert response.status_code == 200
        assert _limit_headers(response)[:2] == (3, 2)


async def test_off_sends_no_headers_and_never_refuses(make_client: MakeClient, tenant: Tenant) -> None:
    async with make_client(rate_limit="off") as client:
        for _ in range(40):  # more than the default 30 per window
            response = await client.get(PATH, headers=tenant.headers)
            assert response.status_code == 200
            assert not any(name in response.headers for name in HEADERS)


async def test_unauthenticated_responses_carry_no_headers(make_client: MakeClient) -> None:
    async with make_client(rate_limit="3/minute") as client:
        response = await client.get(PATH, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert not any(name in response.headers for name in HEADERS)


async def test_concurrent_requests_are_counted_exactly(make_client: MakeClient, tenant: Tenant) -> None:
    async with make_client(rate_limit="5/minute") as client:
        responses = await asyncio.gather(*(client.get(PATH, headers=tenant.headers) for _ in range(12)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 5 + [429] * 7


async def test_an_unexpected_error_still_carries_the_headers(
    database_url: str, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(properties_repository, "list_properties", fail)
    runtime = Runtime.build(make_settings(database_url, rate_limit="5/minute"))
    transport = httpx.ASGITransport(app=create_app(runtime.settings, runtime), raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver/api/public/v1"
        ) as client:
            response = await client.get(PATH, headers=tenant.headers)
    finally:
        await runtime.db.dispose()
    assert response.status_code == 500
    assert _limit_headers(response)[:2] == (5, 4)
