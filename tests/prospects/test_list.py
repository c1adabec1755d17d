"""GET /prospects (API.md §10): the bare array a public client pages through, its filters, bad
parameters and account scoping."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from rentengine.kit.clock import isoformat_z
from rentengine.prospects.examples import LIST_RESPONSE
from rentengine.runtime import Runtime
from tests.factories import Tenant, make_prospect_row, make_tenant, make_unit_row
from tests.prospects.factories import create_prospect, prospect_at

PATH = "/prospects"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
FIELDS = [
    "id",
    "name",
    "email",
    "phone",
    "status",
    "source",
    "prospect_type",
    "unit_of_interest",
    "notes",
    "created_at",
    "updated_at",
]


async def listed(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(PATH, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, list)
    return body


async def ids(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> list[int]:
    return [p["id"] for p in await listed(client, tenant, **params)]


async def read_all(client: httpx.AsyncClient, tenant: Tenant, limit: int) -> list[dict[str, Any]]:
    """As a public client reads a bare array: page after page until a page is shorter than `limit`."""
    found: list[dict[str, Any]] = []
    page_number = 0
    while True:
        page = await listed(client, tenant, limit=limit, page_number=page_number)
        found += page
        if len(page) < limit:
            return found
        page_number += 1


async def test_a_prospect_has_the_documented_shape_and_types(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    unit_id = await make_unit_row(runtime, tenant.account_id)
    created = await create_prospect(
        runtime, tenant.account_id, unit_id=unit_id, notes="Has a dog", status="Showing Scheduled"
    )
    [prospect] = await listed(client, tenant)
    assert list(prospect) == FIELDS
    # The documented examples (the first is also the webhook test record) have the same shape.
    assert all(list(example) == FIELDS for example in LIST_RESPONSE)
    assert prospect == created
    assert isinstance(prospect["id"], int)
    assert not isinstance(prospect["id"], bool)
    assert prospect["name"] == "Jane Doe"
    assert (prospect["email"], prospect["phone"]) == ("jane.doe@example.com", "5551234567")
    assert (prospect["status"], prospect["source"], prospect["prospect_type"]) == (
        "Showing Scheduled",
        "Zillow",
        "Self",
    )
    assert prospect["unit_of_interest"] == unit_id
    assert isinstance(prospect["unit_of_interest"], int)
    assert prospect["notes"] == "Has a dog"
    assert TIMESTAMP.match(prospect["created_at"])
    assert prospect["updated_at"] == prospect["created_at"]


async def test_unknown_values_are_null_and_the_name_is_always_a_string(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    await make_prospect_row(
        runtime,
        tenant.account_id,
        last_name=None,
        email=None,
        phone=None,
        source=None,
        prospect_type=None,
        notes=None,
    )
    await make_prospect_row(
        runtime, tenant.account_id, first_name=None, last_name="Lee", prospect_type="Agent"
    )
    await make_prospect_row(runtime, tenant.account_id, first_name=None, last_name=None)
    first, second, third = await listed(client, tenant)
    assert first["name"] == "Jane"
    assert {
        k: first[k] for k in ("email", "phone", "source", "prospect_type", "unit_of_interest", "notes")
    } == {
        "email": None,
        "phone": None,
        "source": None,
        "prospect_type": None,
        "unit_of_interest": None,
        "notes": None,
    }
    assert (second["name"], second["prospect_type"]) == ("Lee", "Agent")
    assert third["name"] == ""


async def test_emails_are_stored_lower_cased(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    await create_prospect(runtime, tenant.account_id, email=" Jane.DOE@Example.com ")
    [prospect] = await listed(client, tenant)
    assert prospect["email"] == "jane.doe@example.com"


async def test_paging_reads_every_prospect_once_in_id_order(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    made = [await make_prospect_row(runtime, tenant.account_id, phone=f"55500000{i:02d}") for i in range(7)]
    assert [p["id"] for p in await read_all(client, tenant, limit=3)] == made
    assert [p["id"] for p in await read_all(client, tenant, limit=7)] == made
    assert await ids(client, tenant, limit=3, page_number=2) == made[6:]
    assert await ids(client, tenant, limit=3, page_number=3) == []
    assert await ids(client, tenant, limit=100, page_number=100_000) == []
    assert await ids(client, tenant) == made


async def test_created_after_is_inclusive_and_created_before_exclusive(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    start = datetime(2024, 10, 5, 18, 0, tzinfo=UTC)
    made = [await prospect_at(runtime, tenant.account_id, start + timedelta(hours=h)) for h in range(3)]
    second = start + timedelta(hours=1)
    assert await ids(client, tenant, created_after=isoformat_z(second)) == made[1:]
    assert await ids(client, tenant, created_before=isoformat_z(second)) == made[:1]
    window = {
        "created_after": isoformat_z(start + timedelta(minutes=30)),
        "created_before": isoformat_z(start + timedelta(hours=1, minutes=30)),
    }
    assert await ids(client, tenant, **window) == made[1:2]
    # Any offset names the same instant.
    assert await ids(client, tenant, created_after="2024-10-05T14:00:00-05:00") == made[1:]
    assert await ids(client, tenant, created_after="2024-10-05T21:00:00+02:00") == made[1:]
    assert await ids(client, tenant, created_after="2024-10-05T19:00:00.000001Z") == made[2:]
    # A window that is empty or reversed matches nothing.
    assert (
        await ids(client, tenant, created_after=isoformat_z(second), created_before=isoformat_z(second)) == []
    )
    assert (
        await ids(client, tenant, created_after="2030-01-01T00:00:00Z", created_before="2020-01-01T00:00:00Z")
        == []
    )


@pytest.mark.parametrize(
    ("params", "keyword", "path"),
    [
        ({"created_after": "2024-10-05"}, "format", "/created_after"),
        ({"created_before": "2024-10-05"}, "format", "/created_before"),
        ({"created_after": "2024-10-05T18:00:00"}, "format", "/created_after"),
        ({"created_before": "yesterday"}, "format", "/created_before"),
        ({"limit": "101"}, "maximum", "/limit"),
        ({"limit": "0"}, "minimum", "/limit"),
        ({"limit": "ten"}, "type", "/limit"),
        ({"page_number": "-1"}, "minimum", "/page_number"),
        ({"page_number": "1.5"}, "type", "/page_number"),
        ({"offset": "10"}, "additionalProperties", ""),
        ({"page": "2"}, "additionalProperties", ""),
        ({"account_id": str(uuid.uuid4())}, "additionalProperties", ""),
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
    if keyword == "format":
        assert body["details"][0]["message"] == 'must match format "date-time"'


async def test_a_repeated_scalar_parameter_is_400(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get(f"{PATH}?limit=1&limit=2", headers=tenant.headers)
    assert response.status_code == 400


async def test_every_account_of_the_caller_and_no_other_is_covered(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    both = await make_tenant(runtime, accounts=2)
    stranger = await make_tenant(runtime)
    first = await make_prospect_row(runtime, both.account_id)
    theirs = await make_prospect_row(runtime, stranger.account_id)
    second = await make_prospect_row(runtime, both.other_account_ids[0])
    assert await ids(client, both) == [first, second]
    assert await ids(client, stranger) == [theirs]


async def test_without_a_valid_token_it_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get(PATH)).status_code == 401
    response = await client.get(PATH, headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized"}


async def test_writing_is_not_allowed(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(PATH, json={}, headers=tenant.headers)
    assert response.status_code == 405
