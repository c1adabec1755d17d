"""GET /rental_application_groups (API.md §13): a bare array read the way a public client reads it,
covering all of the caller's accounts."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from rentengine.kit import clock
from rentengine.kit.clock import isoformat_z
from rentengine.runtime import Runtime
from tests.applications.factories import make_group
from tests.factories import Tenant, make_prospect_row, make_tenant, make_unit_row

PATH = "/rental_application_groups"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
FIELDS = [
    "id",
    "account_id",
    "unit_id",
    "lead_prospect_id",
    "status",
    "submitted_at",
    "created_at",
    "updated_at",
]


@pytest.fixture
def pinned_clock() -> Iterator[list[datetime]]:
    now = [datetime.now(UTC).replace(microsecond=0)]
    clock.set_clock(lambda: now[0])
    yield now
    clock.set_clock(None)


async def listed(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(PATH, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    assert isinstance(body, list)
    return body


async def read_all(
    client: httpx.AsyncClient, tenant: Tenant, limit: int, **params: Any
) -> list[dict[str, Any]]:
    """Pages until one is shorter than `limit`, as a client of the hosted API does."""
    items: list[dict[str, Any]] = []
    page = 0
    while True:
        rows = await listed(client, tenant, limit=limit, page_number=page, **params)
        items.extend(rows)
        if len(rows) < limit:
            return items
        page += 1


async def test_a_group_is_listed_as_the_documented_object(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    unit = await make_unit_row(runtime, tenant.account_id)
    lead = await make_prospect_row(runtime, tenant.account_id, unit)
    submitted = await make_group(runtime, tenant.account_id, unit, lead_prospect_id=lead, status="Submitted")
    started = await make_group(runtime, tenant.account_id, unit)
    rows = await listed(client, tenant)
    assert rows == [submitted, started]
    first, second = rows
    assert list(first) == FIELDS
    assert isinstance(first["id"], int)
    assert first["id"] < second["id"]
    assert (first["account_id"], first["unit_id"], first["lead_prospect_id"]) == (
        str(tenant.account_id),
        unit,
        lead,
    )
    assert first["status"] == "Submitted"
    assert all(TIMESTAMP.match(first[k]) for k in ("submitted_at", "created_at", "updated_at"))
    assert (second["status"], second["lead_prospect_id"], second["submitted_at"]) == (
        "In Progress",
        None,
        None,
    )


async def test_pages_cover_every_group_once_in_id_order(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    unit = await make_unit_row(runtime, tenant.account_id)
    made = [(await make_group(runtime, tenant.account_id, unit))["id"] for _ in range(7)]
    assert [row["id"] for row in await read_all(client, tenant, limit=3)] == made
    assert [row["id"] for row in await read_all(client, tenant, limit=7)] == made
    assert await listed(client, tenant, limit=3, page_number=10) == []
    assert [row["id"] for row in await listed(client, tenant)] == made


async def test_created_after_is_inclusive_and_created_before_exclusive(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, pinned_clock: list[datetime]
) -> None:
    unit = await make_unit_row(runtime, tenant.account_id)
    start = pinned_clock[0]
    made = [
        (await make_group(runtime, tenant.account_id, unit, created_at=start + timedelta(hours=h)))["id"]
        for h in range(3)
    ]
    second_at = start + timedelta(hours=1)

    async def ids(**params: Any) -> list[int]:
        return [row["id"] for row in await listed(client, tenant, **params)]

    assert await ids(created_after=isoformat_z(second_at)) == made[1:]
    assert await ids(created_before=isoformat_z(second_at)) == made[:1]
    assert (
        await ids(created_after=isoformat_z(start), created_before=isoformat_z(start + timedelta(hours=2)))
        == made[:2]
    )
    # Any offset names the same instant.
    local = (second_at - timedelta(hours=5)).replace(tzinfo=None).isoformat() + "-05:00"
    assert await ids(created_after=local) == made[1:]
    assert await ids(created_after=isoformat_z(start + timedelta(days=1))) == []


async def test_every_account_of_the_caller_and_no_other(client: httpx.AsyncClient, runtime: Runtime) -> None:
    tenant = await make_tenant(runtime, accounts=2)
    stranger = await make_tenant(runtime)
    mine = []
    for account_id in (tenant.account_id, tenant.other_account_ids[0]):
        mine.append(await make_group(runtime, account_id, await make_unit_row(runtime, account_id)))
    await make_group(runtime, stranger.account_id, await make_unit_row(runtime, stranger.account_id))
    assert await listed(client, tenant) == mine
    assert len(await listed(client, stranger)) == 1


async def test_each_invalid_query_is_a_400(client: httpx.AsyncClient, tenant: Tenant) -> None:
    bad: list[dict[str, Any]] = [
        {"created_after": "2024-01-01"},
        {"created_before": "2024-01-01T00:00:00"},
        {"created_after": "yesterday"},
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"page_number": -1},
        {"page_number": 100_001},
        {"offset": 5},
        {"page": 1},
        {"account_id": "4b88ff32-8ba0-4bbf-8e60-c789909ac176"},
    ]
    for params in bad:
        response = await client.get(PATH, params=params, headers=tenant.headers)
        assert response.status_code == 400, params
        body = response.json()
        assert body["error"] == "Invalid query parameters", params
        assert body["details"], params
    [item] = (await client.get(PATH, params={"created_after": "2024-01-01"}, headers=tenant.headers)).json()[
        "details"
    ]
    assert (item["instancePath"], item["message"]) == ("/created_after", 'must match format "date-time"')


async def test_a_token_is_required(client: httpx.AsyncClient) -> None:
    response = await client.get(PATH)
    assert (response.status_code, response.json()) == (401, {"error": "Unauthorized"})
