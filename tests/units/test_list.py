"""GET /units: every filter, array syntaxes, bad values, account scoping."""

import uuid
from typing import Any

import httpx
import pytest

from rentengine.runtime import Runtime
from tests.factories import Tenant, make_tenant
from tests.units.conftest import Clock
from tests.units.helpers import PATH, create_unit, error_at, list_ids, update_unit


def _address(city: str, zip_code: str) -> dict[str, str]:
    return {"street_number": "10", "street_name": "Oak St", "city": city, "state": "TX", "zip_code": zip_code}


@pytest.fixture
async def trio(client: httpx.AsyncClient, tenant: Tenant) -> list[int]:
    """Three units of one tenant that differ in every filtered attribute."""
    specs: list[dict[str, Any]] = [
        {"address": _address("Austin", "78701"), "status": "Available", "extracted_from": "pms-1"},
        {"address": _address("Dallas", "75201"), "status": "On Hold", "extracted_from": "pms-2"},
        {"address": _address("AUSTIN", "78702"), "status": "Withdrawal Requested"},
    ]
    return [(await create_unit(client, tenant, **spec))["id"] for spec in specs]


async def test_unit_ids_comma_separated_and_repeated(
    client: httpx.AsyncClient, tenant: Tenant, trio: list[int]
) -> None:
    first, _, third = trio
    assert await list_ids(client, tenant, {"unitIds": f"{third},{first}"}) == [first, third]
    assert await list_ids(client, tenant, [("unitIds", str(third)), ("unitIds", str(first))]) == [
        first,
        third,
    ]


async def test_statuses_comma_separated_and_repeated(
    client: httpx.AsyncClient, tenant: Tenant, trio: list[int]
) -> None:
    first, second, third = trio
    assert await list_ids(client, tenant, {"statuses": "Available,On Hold"}) == [first, second]
    assert await list_ids(
        client, tenant, [("statuses", "Withdrawal Requested"), ("statuses", "On Hold")]
    ) == [
        second,
        third,
    ]
    assert await list_ids(client, tenant, {"statuses": "Leased"}) == []


async def test_without_statuses_every_status_is_listed(
    client: httpx.AsyncClient, tenant: Tenant, trio: list[int]
) -> None:
    assert await list_ids(client, tenant) == trio


async def test_extracted_from_is_an_exact_match(
    client: httpx.AsyncClient, tenant: Tenant, trio: list[int]
) -> None:
    assert await list_ids(client, tenant, {"extracted_from": "pms-2"}) == [trio[1]]
    assert await list_ids(client, tenant, {"extracted_from": "PMS-2"}) == []
    assert await list_ids(client, tenant, {"extracted_from": "pms"}) == []


async def test_city_is_case_insensitive_and_exact(
    client: httpx.AsyncClient, tenant: Tenant, trio: list[int]
) -> None:
    first, second, third = trio
    assert await list_ids(client, tenant, {"city": "austin"}) == [first, third]
    assert await list_ids(client, tenant, {"city": "DaLLaS"}) == [second]
    assert await list_ids(client, tenant, {"city": "Aus"}) == []


async def test_zip_codes_comma_separated_and_repeated(
    client: httpx.AsyncClient, tenant: Tenant, trio: list[int]
) -> None:
    first, second, third = trio
    assert await list_ids(client, tenant, {"zip_codes": "78702,75201"}) == [second, third]
    assert await list_ids(client, tenant, [("zip_codes", "78701"), ("zip_codes", "78702")]) == [first, third]
    assert await list_ids(client, tenant, {"zip_codes": "787"}) == []


async def test_filters_combine(client: httpx.AsyncClient, tenant: Tenant, trio: list[int]) -> None:
    params = {"city": "Austin", "statuses": "Available,On Hold", "accountId": str(tenant.account_id)}
    assert await list_ids(client, tenant, params) == [trio[0]]


async def test_updated_after_is_inclusive_and_updated_before_exclusive(
    client: httpx.AsyncClient, tenant: Tenant, clock: Clock
) -> None:
    early = (await create_unit(client, tenant))["id"]
    clock.advance(hours=1)
    middle = (await create_unit(client, tenant))["id"]
    clock.advance(hours=1)
    late = (await create_unit(client, tenant))["id"]
    one_hour = "2031-01-01T01:00:00Z"
    assert await list_ids(client, tenant, {"updated_after": one_hour}) == [middle, late]
    assert await list_ids(client, tenant, {"updated_before": one_hour}) == [early]
    window = {"updated_after": one_hour, "updated_before": "2031-01-01T02:00:00.000000Z"}
    assert await list_ids(client, tenant, window) == [middle]
    # The same instant written with an offset.
    assert await list_ids(client, tenant, {"updated_after": "2031-01-01T02:00:00+01:00"}) == [middle, late]
    # An update moves a unit's updated_at forward.
    clock.advance(hours=1)
    await update_unit(client, tenant, early, bedrooms=4)
    assert await list_ids(client, tenant, {"updated_after": "2031-01-01T02:30:00Z"}) == [early]


@pytest.mark.parametrize(
    ("params", "keyword", "path"),
    [
        ({"unitIds": "1,x"}, "type", "/unitIds/1"),
        ({"unitIds": "2.5"}, "type", "/unitIds/0"),
        ({"statuses": "Available,Rented"}, "enum", "/statuses/1"),
        ({"statuses": "available"}, "enum", "/statuses/0"),
        ({"accountId": "not-a-uuid"}, "format", "/accountId"),
        ({"updated_after": "2024-01-01"}, "format", "/updated_after"),
        ({"updated_before": "yesterday"}, "format", "/updated_before"),
        ({"updated_before": "2024-01-01T10:00:00"}, "format", "/updated_before"),
        ({"zip_codes": "x" * 17}, "maxLength", "/zip_codes/0"),
        ({"city": "x" * 101}, "maxLength", "/city"),
        ({"city": "Austin\u0000"}, "pattern", "/city"),
        ({"extracted_from": "\u0000"}, "pattern", "/extracted_from"),
        ({"zip_codes": "78701,7870\u0000"}, "pattern", "/zip_codes"),
        ({"limit": "0"}, "minimum", "/limit"),
        ({"limit": "101"}, "maximum", "/limit"),
        ({"limit": "ten"}, "type", "/limit"),
        ({"page_number": "-1"}, "minimum", "/page_number"),
        ({"page_number": "100001"}, "maximum", "/page_number"),
    ],
)
async def test_bad_values_are_400_with_a_pointer(
    client: httpx.AsyncClient, tenant: Tenant, params: dict[str, str], keyword: str, path: str
) -> None:
    response = await client.get(PATH, params=params, headers=tenant.headers)
    error_at(response, keyword, path)
    assert response.json()["error"] == "Invalid query parameters"


async def test_date_time_message_names_the_format(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get(PATH, params={"updated_after": "2024-01-01"}, headers=tenant.headers)
    assert error_at(response, "format", "/updated_after")["message"] == 'must match format "date-time"'


@pytest.mark.parametrize("name", ["account_id", "unit_ids", "status", "zip_code", "id", "sort"])
async def test_unknown_parameters_are_400(client: httpx.AsyncClient, tenant: Tenant, name: str) -> None:
    response = await client.get(PATH, params={name: str(tenant.account_id)}, headers=tenant.headers)
    item = error_at(response, "additionalProperties", "")
    assert item["params"] == {"additionalProperty": name}
    assert item["message"] == "must NOT have additional properties"


async def test_ids_that_cannot_exist_match_nothing(
    client: httpx.AsyncClient, tenant: Tenant, trio: list[int]
) -> None:
    assert await list_ids(client, tenant, {"unitIds": "0,-5,99999999999"}) == []
    assert await list_ids(client, tenant, {"unitIds": f"99999999999,{trio[1]}"}) == [trio[1]]
    # An empty list names no unit.
    assert await list_ids(client, tenant, {"unitIds": ""}) == []


async def test_page_past_the_end_is_empty(client: httpx.AsyncClient, tenant: Tenant, trio: list[int]) -> None:
    assert await list_ids(client, tenant, {"limit": "2", "page_number": "1"}) == [trio[2]]
    assert await list_ids(client, tenant, {"limit": "2", "page_number": "2"}) == []


async def test_lists_are_scoped_to_the_callers_accounts(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    other = await make_tenant(runtime)
    theirs = (await create_unit(client, other))["id"]
    mine = (await create_unit(client, tenant))["id"]
    assert await list_ids(client, tenant) == [mine]
    # Another account's unit id is silently not matched.
    assert await list_ids(client, tenant, {"unitIds": f"{theirs},{mine}"}) == [mine]
    assert await list_ids(client, tenant, {"unitIds": str(theirs)}) == []
    forbidden = await client.get(PATH, params={"accountId": str(other.account_id)}, headers=tenant.headers)
    assert forbidden.status_code == 403
    assert forbidden.json() == {"error": "Forbidden"}
    unknown = await client.get(PATH, params={"accountId": str(uuid.uuid4())}, headers=tenant.headers)
    assert unknown.status_code == 403


async def test_lists_cover_every_account_of_the_user(client: httpx.AsyncClient, runtime: Runtime) -> None:
    tenant = await make_tenant(runtime, accounts=2)
    [second_account] = tenant.other_account_ids
    first = (await create_unit(client, tenant))["id"]
    second = (await create_unit(client, tenant, second_account))["id"]
    assert await list_ids(client, tenant) == [first, second]
    assert await list_ids(client, tenant, {"accountId": str(second_account)}) == [second]
    assert await list_ids(client, tenant, {"accountId": str(tenant.account_id)}) == [first]


async def test_listing_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get(PATH)
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized"}
