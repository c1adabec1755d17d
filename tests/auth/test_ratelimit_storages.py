"""The per-key limit counts the same in every store: process memory, the database, Redis."""

import asyncio
import logging
from collections.abc import Callable

import httpx
import pytest

from tests.factories import Tenant
from tests.ports import free_port

MakeClient = Callable[..., httpx.AsyncClient]
LIMIT = 5
PATH = "/multifamily_properties"


@pytest.fixture(params=["memory", "database", "redis"])
def storage(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        url: str = request.getfixturevalue("redis_url")
        return url
    return str(request.param)


async def test_sequential_requests_get_exactly_the_limit(
    make_client: MakeClient, tenant: Tenant, storage: str
) -> None:
    async with make_client(rate_limit=f"{LIMIT}/minute", rate_limit_storage=storage) as client:
        responses = [await client.get(PATH, headers=tenant.headers) for _ in range(LIMIT + 2)]
    assert [r.status_code for r in responses] == [200] * LIMIT + [429] * 2
    assert [r.headers["x-ratelimit-remaining"] for r in responses] == ["4", "3", "2", "1", "0", "0", "0"]
    resets = [int(r.headers["x-ratelimit-reset"]) for r in responses]
    assert all(0 < reset <= 60 for reset in resets)
    assert resets == sorted(resets, reverse=True)  # one window, counting down
    assert 1 <= int(responses[-1].headers["retry-after"]) <= 60


async def test_concurrent_requests_get_exactly_the_limit(
    make_client: MakeClient, tenant: Tenant, storage: str
) -> None:
    async with make_client(rate_limit=f"{LIMIT}/minute", rate_limit_storage=storage) as client:
        responses = await asyncio.gather(
            *(client.get(PATH, headers=tenant.headers) for _ in range(4 * LIMIT))
        )
    assert sorted(r.status_code for r in responses) == [200] * LIMIT + [429] * (3 * LIMIT)


@pytest.mark.parametrize("shared", ["database", "redis"])
async def test_two_processes_sharing_a_store_share_the_count(
    make_client: MakeClient, tenant: Tenant, shared: str, request: pytest.FixtureRequest
) -> None:
    storage = request.getfixturevalue("redis_url") if shared == "redis" else shared
    first = make_client(rate_limit=f"{LIMIT}/minute", rate_limit_storage=storage)
    second = make_client(rate_limit=f"{LIMIT}/minute", rate_limit_storage=storage)
    async with first, second:
        statuses = [
            (await (first, second)[n % 2].get(PATH, headers=tenant.headers)).status_code for n in range(8)
        ]
    assert statuses == [200] * LIMIT + [429] * 3


async def test_a_store_that_does_not_answer_lets_requests_through(
    make_client: MakeClient, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    nothing_listens = f"redis://127.0.0.1:{free_port()}/0"
    with caplog.at_level(logging.WARNING):
        async with make_client(rate_limit="1/minute", rate_limit_storage=nothing_listens) as client:
            statuses = [(await client.get(PATH, headers=tenant.headers)).status_code for _ in range(3)]
    # Availability over the limit while the store is down, and the operator is told.
    assert statuses == [200, 200, 200]
    assert any("rate-limit store redis failed" in record.getMessage() for record in caplog.records)
