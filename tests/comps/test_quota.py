"""The comps quota (API.md §17): successful calls per user per rolling 24 h, exact under concurrency."""

import asyncio
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from rentengine.comps.models import CompsCall
from rentengine.kit.clock import set_clock
from rentengine.runtime import Runtime
from tests.comps.helpers import get_comps, near, new_area
from tests.factories import Tenant, make_tenant

MakeClient = Callable[..., httpx.AsyncClient]
BAD_QUERIES: list[Any] = [
    {"latitude": 30, "longitude": -97, "radius_miles": 5, "zipcodes": "78701"},
    {"latitude": 30, "longitude": -97},
    {"latitude": 30, "longitude": -97, "radius_miles": 0},
    {"latitude": 30, "longitude": -97, "radius_miles": 26},
    {"latitude": 91, "longitude": -97, "radius_miles": 5},
    {"latitude": 30, "longitude": -181, "radius_miles": 5},
    {"longitude": -97, "radius_miles": 5},
    {"latitude": "north", "longitude": -97, "radius_miles": 5},
    {"latitude": 30, "longitude": -97, "radius_miles": "nan"},
    {"latitude": 30, "longitude": -97, "radius_miles": 5, "start_date": "2024-01-01T00:00:00Z"},
    {"latitude": 30, "longitude": -97, "radius_miles": 5, "end_date": "01/02/2024"},
    {"latitude": 30, "longitude": -97, "radius_miles": 5, "min_beds": -1},
    {"latitude": 30, "longitude": -97, "radius_miles": 5, "min_days_on_market": 1.5},
    {"latitude": 30, "longitude": -97, "radius_miles": 5, "limit": 10},
    {"latitude": 30, "longitude": -97, "zipcodes": ",".join(f"{i:05}" for i in range(51))},
    [("latitude", "30"), ("latitude", "31"), ("longitude", "-97"), ("radius_miles", "5")],
]


async def counted_calls(runtime: Runtime, user_id: uuid.UUID) -> int:
    async with runtime.db.transaction(writes=False) as session:
        return int(await session.scalar(select(func.count()).where(CompsCall.user_id == user_id)) or 0)


@pytest.fixture
def pinned() -> Iterator[list[datetime]]:
    now = [datetime(2025, 6, 1, 12, 0, tzinfo=UTC)]
    set_clock(lambda: now[0])
    yield now
    set_clock(None)


async def test_bad_input_is_400_or_403_and_uses_no_quota(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    for query in BAD_QUERIES:
        response = await get_comps(client, tenant, query)
        assert response.status_code == 400, (query, response.text)
        body = response.json()
        assert body["error"] == "Invalid query parameters"
        assert body["details"], query
    stranger = await make_tenant(runtime)
    forbidden = await get_comps(client, tenant, near(new_area(), account_id=str(stranger.account_id)))
    assert (forbidden.status_code, forbidden.json()) == (403, {"error": "Forbidden"})
    assert (await client.get("/market-tool/comps", params=near(new_area()))).status_code == 401
    assert await counted_calls(runtime, tenant.user_id) == 0
    own = await get_comps(client, tenant, near(new_area(), account_id=str(tenant.account_id)))
    assert (own.status_code, own.json()) == (200, [])
    assert await counted_calls(runtime, tenant.user_id) == 1


async def test_the_error_details_name_the_parameter(client: httpx.AsyncClient, tenant: Tenant) -> None:
    both = await get_comps(client, tenant, BAD_QUERIES[0])
    assert both.json()["details"][0]["keyword"] == "oneOf"
    date_time = await get_comps(client, tenant, BAD_QUERIES[9])
    assert date_time.json()["details"][0] == {
        "keyword": "format",
        "instancePath": "/start_date",
        "dataPath": "/start_date",
        "schemaPath": "#/properties/start_date/format",
        "params": {"format": "date"},
        "message": 'must match format "date"',
    }
    unknown = await get_comps(client, tenant, BAD_QUERIES[13])
    assert unknown.json()["details"][0]["params"] == {"additionalProperty": "limit"}
    radius = await get_comps(client, tenant, BAD_QUERIES[3])
    assert radius.json()["details"][0]["instancePath"] == "/radius_miles"


async def test_the_41st_call_in_24_hours_is_refused_until_the_oldest_leaves(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime, pinned: list[datetime]
) -> None:
    start = pinned[0]
    query = near(new_area())
    for i in range(40):
        pinned[0] = start + timedelta(minutes=i)
        assert (await get_comps(client, tenant, query)).status_code == 200, i
    pinned[0] = start + timedelta(hours=1)
    refused = await get_comps(client, tenant, query)
    assert (refused.status_code, refused.json()) == (429, {"error": "Too many requests"})
    assert refused.headers["retry-after"] == str(23 * 3600)
    # A refused call does not count, nor does a bad one; another user has a quota of their own.
    assert (await get_comps(client, tenant, {"latitude": 1})).status_code == 400
    other = await make_tenant(runtime)
    assert (await get_comps(client, other, query)).status_code == 200
    pinned[0] = start + timedelta(hours=24, seconds=1)
    assert (await get_comps(client, tenant, query)).status_code == 200
    again = await get_comps(client, tenant, query)
    assert (again.status_code, again.headers["retry-after"]) == (429, str(60 - 1))
    # Calls that left the window were pruned: the oldest kept is the one that still counts.
    assert await counted_calls(runtime, tenant.user_id) == 40


async def test_the_quota_is_a_setting(make_client: MakeClient, tenant: Tenant) -> None:
    async with make_client(comps_daily_quota=2) as client:
        answers = [(await get_comps(client, tenant, near(new_area()))).status_code for _ in range(3)]
    assert answers == [200, 200, 429]


async def test_concurrent_calls_from_two_processes_pass_exactly_the_quota(
    make_client: MakeClient, tenant: Tenant, runtime: Runtime
) -> None:
    # Two apps with their own connection pools stand for two server processes on one database.
    first, second = make_client(comps_daily_quota=40), make_client(comps_daily_quota=40)
    query = near(new_area())
    async with first, second:
        calls = [get_comps(first if i % 2 else second, tenant, query) for i in range(60)]
        answers = await asyncio.gather(*calls)
    statuses = sorted(response.status_code for response in answers)
    others = [r.text for r in answers if r.status_code not in (200, 429)]
    assert statuses == [200] * 40 + [429] * 20, others
    assert all(0 < int(r.headers["retry-after"]) <= 86400 for r in answers if r.status_code == 429)
    assert await counted_calls(runtime, tenant.user_id) == 40
