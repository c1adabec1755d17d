"""GET /leasing_events (API.md §11.2): the `env` envelope a public client pages by `has_more`, its
filters, bad parameters and account scoping; events recorded by platform code are listed alike."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from rentengine.kit.clock import isoformat_z
from rentengine.runtime import Runtime
from tests.factories import Tenant, make_prospect_row, make_tenant
from tests.leasing.factories import assign_body, record_event_at

PATH = "/leasing_events"
START = datetime(2024, 10, 5, 18, 0, tzinfo=UTC)


async def page(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> dict[str, Any]:
    response = await client.get(PATH, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def ids(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> list[int]:
    return [e["id"] for e in (await page(client, tenant, limit=100, **params))["data"]]


async def read_all(
    client: httpx.AsyncClient, tenant: Tenant, limit: int, **params: Any
) -> list[dict[str, Any]]:
    """As a public client reads an `env` list: follow `next_page_number` while `has_more`."""
    found: list[dict[str, Any]] = []
    page_number: int | None = 0
    while page_number is not None:
        body = await page(client, tenant, limit=limit, page_number=page_number, **params)
        assert list(body) == ["data", "page"]
        info = body["page"]
        assert info == {
            "limit": limit,
            "page_number": page_number,
            "has_more": info["has_more"],
            "next_page_number": page_number + 1 if info["has_more"] else None,
        }
        assert isinstance(info["has_more"], bool)
        assert len(body["data"]) == limit or not info["has_more"]
        found += body["data"]
        page_number = info["next_page_number"]
    return found


async def events_at(
    runtime: Runtime, prospect: int, *hours: int, event_type: str = "Showing Scheduled"
) -> list[int]:
    return [
        (await record_event_at(runtime, prospect, event_type, START + timedelta(hours=hour)))["id"]
        for hour in hours
    ]


async def test_the_envelope_pages_through_every_event_once(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    prospect = await make_prospect_row(runtime, tenant.account_id)
    made = await events_at(runtime, prospect, *range(7))
    for limit in (1, 3, 7, 100):
        assert [e["id"] for e in await read_all(client, tenant, limit)] == made
    last = await page(client, tenant, limit=3, page_number=2)
    assert last["page"] == {"limit": 3, "page_number": 2, "has_more": False, "next_page_number": None}
    assert [e["id"] for e in last["data"]] == made[6:]
    past = await page(client, tenant, limit=3, page_number=5)
    assert past == {
        "data": [],
        "page": {"limit": 3, "page_number": 5, "has_more": False, "next_page_number": None},
    }
    default = await page(client, tenant)
    assert default["page"] == {"limit": 50, "page_number": 0, "has_more": False, "next_page_number": None}


async def test_an_empty_list_is_an_empty_envelope(client: httpx.AsyncClient, tenant: Tenant) -> None:
    assert await page(client, tenant) == {
        "data": [],
        "page": {"limit": 50, "page_number": 0, "has_more": False, "next_page_number": None},
    }


async def test_a_platform_event_has_the_documented_shape(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    prospect = await make_prospect_row(runtime, tenant.account_id)
    planned = datetime(2024, 10, 10, 16, 30, tzinfo=UTC)
    follow_up = datetime(2024, 10, 11, 15, 0, tzinfo=UTC)
    recorded = await record_event_at(
        runtime,
        prospect,
        "Showing Scheduled",
        START,
        context={"showing_id": 7},
        planned_date_time=planned,
        next_follow_up=follow_up,
        source="API",
    )
    [event] = (await page(client, tenant))["data"]
    assert event == recorded
    assert event == {
        "id": event["id"],
        "prospect": prospect,
        "event_type": "Showing Scheduled",
        "source": "API",
        "notes": None,
        "context": {"showing_id": 7},
        "planned_date_time": "2024-10-10T16:30:00.000000Z",
        "created_at": "2024-10-05T18:00:00.000000Z",
        "next_follow_up": "2024-10-11T15:00:00.000000Z",
        "created_by": None,
    }


async def test_filter_by_prospect(client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant) -> None:
    first = await make_prospect_row(runtime, tenant.account_id)
    second = await make_prospect_row(runtime, tenant.account_id)
    a = await events_at(runtime, first, 0)
    b = await events_at(runtime, second, 1)
    c = await events_at(runtime, first, 2)
    assert await ids(client, tenant, prospect_id=first) == a + c
    assert await ids(client, tenant, prospect_id=second) == b
    for unknown in (0, -1, 2**31, 2**63, 999_999_999):
        assert await ids(client, tenant, prospect_id=unknown) == []


async def test_filter_by_event_types(client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant) -> None:
    prospect = await make_prospect_row(runtime, tenant.account_id)
    assigned = await client.post(PATH, json=assign_body(prospect, tenant.user_id), headers=tenant.headers)
    assert assigned.status_code == 201
    scheduled = await events_at(runtime, prospect, 1)
    complete = await events_at(runtime, prospect, 2, event_type="Showing Complete")
    everything = [assigned.json()["id"], *scheduled, *complete]
    assert await ids(client, tenant) == everything
    assert await ids(client, tenant, event_types="Assign to User") == everything[:1]
    assert await ids(client, tenant, event_types="Showing Scheduled,Showing Complete") == everything[1:]
    response = await client.get(
        f"{PATH}?event_types=Assign%20to%20User&event_types=Showing%20Complete", headers=tenant.headers
    )
    assert [e["id"] for e in response.json()["data"]] == [everything[0], *complete]
    assert await ids(client, tenant, event_types="Application Sent to Prospect") == []
    assert await ids(client, tenant, event_types="") == everything


async def test_created_after_is_inclusive_and_created_before_exclusive(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    prospect = await make_prospect_row(runtime, tenant.account_id)
    made = await events_at(runtime, prospect, 0, 1, 2)
    second = isoformat_z(START + timedelta(hours=1))
    assert await ids(client, tenant, created_after=second) == made[1:]
    assert await ids(client, tenant, created_before=second) == made[:1]
    assert await ids(client, tenant, created_after="2024-10-05T14:30:00-05:00") == made[2:]
    assert await ids(client, tenant, created_after=second, created_before=second) == []
    both = {"created_after": isoformat_z(START), "created_before": isoformat_z(START + timedelta(hours=2))}
    assert (
        await ids(client, tenant, **both, prospect_id=prospect, event_types="Showing Scheduled") == made[:2]
    )


@pytest.mark.parametrize(
    ("params", "keyword", "path"),
    [
        ({"created_after": "2024-10-05"}, "format", "/created_after"),
        ({"created_before": "2024-10-05"}, "format", "/created_before"),
        ({"created_after": "soon"}, "format", "/created_after"),
        ({"prospect_id": "abc"}, "type", "/prospect_id"),
        ({"prospect_id": "1.5"}, "type", "/prospect_id"),
        ({"limit": "101"}, "maximum", "/limit"),
        ({"limit": "0"}, "minimum", "/limit"),
        ({"page_number": "-1"}, "minimum", "/page_number"),
        ({"page_number": "100001"}, "maximum", "/page_number"),
        ({"event_types": "x" * 101}, "maxLength", "/event_types/0"),
        ({"offset": "1"}, "additionalProperties", ""),
        ({"page": "1"}, "additionalProperties", ""),
        ({"account_id": str(uuid.uuid4())}, "additionalProperties", ""),
        ({"prospect": "1"}, "additionalProperties", ""),
    ],
)
async def test_bad_parameters_are_400(
    client: httpx.AsyncClient, tenant: Tenant, params: dict[str, str], keyword: str, path: str
) -> None:
    response = await client.get(PATH, params=params, headers=tenant.headers)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Invalid query parameters"
    assert [(d["keyword"], d["instancePath"]) for d in body["details"]] == [(keyword, path)]


async def test_a_repeated_prospect_id_is_400(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get(f"{PATH}?prospect_id=1&prospect_id=2", headers=tenant.headers)
    assert response.status_code == 400


async def test_every_account_of_the_caller_and_no_other_is_covered(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    both = await make_tenant(runtime, accounts=2)
    stranger = await make_tenant(runtime)
    ours = await make_prospect_row(runtime, both.account_id)
    theirs = await make_prospect_row(runtime, stranger.account_id)
    in_second = await make_prospect_row(runtime, both.other_account_ids[0])
    first = await events_at(runtime, ours, 0)
    foreign = await events_at(runtime, theirs, 1)
    second = await events_at(runtime, in_second, 2)
    assert await ids(client, both) == first + second
    assert await ids(client, stranger) == foreign
    # Another account's prospect is simply not matched.
    assert await ids(client, both, prospect_id=theirs) == []
    assert await ids(client, stranger, prospect_id=ours) == []


async def test_without_a_valid_token_it_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get(PATH)
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized"}
