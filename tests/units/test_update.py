"""POST /units with `id`: partial updates, null clearing, address replacement, access, audit."""

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from rentengine.runtime import Runtime
from rentengine.units.models import Unit
from tests.factories import Tenant, make_tenant
from tests.units.conftest import Clock
from tests.units.helpers import (
    PATH,
    audit_entries,
    create_unit,
    error_at,
    fetch_unit,
    list_ids,
    update_unit,
)

RICH: dict[str, Any] = {
    "num_parking_spots": 2,
    "laundry": "In Unit",
    "is_occupied": True,
    "earliest_move_in_date": "2025-03-01",
    "pets_allowed": "Yes with pet fee",
    "hoa_app_fee": 150,
    "showing_method": "Self Guided",
    "structured_access_instructions": {"lockbox_code": "4821", "lockbox_location": "Back gate"},
    "prescreen_rules": {"min_credit_score_band": "650-699", "min_income_to_rent_ratio": 3},
    "year_built": 1938,
    "extracted_from": "https://pms.example.com/listings/1",
    "amenities": ["Pool"],
}


async def test_only_the_sent_fields_change(client: httpx.AsyncClient, tenant: Tenant) -> None:
    before = await create_unit(client, tenant, **RICH)
    after = await update_unit(client, tenant, before["id"], bedrooms=4, laundry="Machines In Unit")
    assert after["bedrooms"] == "4"
    assert after["laundry"] == "Machines In Unit"
    assert after["updated_at"] > before["updated_at"]
    untouched = {"bedrooms", "laundry", "updated_at"}
    assert {k: v for k, v in after.items() if k not in untouched} == {
        k: v for k, v in before.items() if k not in untouched
    }
    assert await fetch_unit(client, tenant, before["id"]) == after


NULLABLE = [
    "bedrooms",
    "bathrooms",
    "sqft",
    "num_parking_spots",
    "laundry",
    "earliest_move_in_date",
    "pets_allowed",
    "hoa_app_fee",
    "showing_method",
    "structured_access_instructions",
    "prescreen_rules",
    "year_built",
    "extracted_from",
]


async def test_null_clears_nullable_fields(client: httpx.AsyncClient, tenant: Tenant) -> None:
    unit = await create_unit(client, tenant, **RICH)
    assert all(unit[name] is not None for name in NULLABLE)
    cleared = await update_unit(client, tenant, unit["id"], **dict.fromkeys(NULLABLE))
    assert {name: cleared[name] for name in NULLABLE} == dict.fromkeys(NULLABLE)
    assert cleared["amenities"] == ["Pool"]
    assert await fetch_unit(client, tenant, unit["id"]) == cleared


@pytest.mark.parametrize(
    ("field", "keyword"),
    [
        ("address", "type"),
        ("property_type", "enum"),
        ("target_rental_rate", "type"),
        ("account_id", "format"),
        ("status", "enum"),
        ("furnished", "type"),
        ("is_occupied", "type"),
        ("marketing_photos", "type"),
    ],
)
async def test_null_on_a_field_that_cannot_be_empty_is_400(
    client: httpx.AsyncClient, tenant: Tenant, field: str, keyword: str
) -> None:
    unit = await create_unit(client, tenant)
    response = await client.post(PATH, json={"id": unit["id"], field: None}, headers=tenant.headers)
    error_at(response, keyword, f"/{field}")
    assert await fetch_unit(client, tenant, unit["id"]) == unit
    assert [e["action"] for e in await audit_entries(client, tenant, unit["id"])] == ["INSERT"]


async def test_sent_address_replaces_the_stored_one(client: httpx.AsyncClient, tenant: Tenant) -> None:
    unit = await create_unit(client, tenant)
    old = unit["address"]
    assert old["unit"] == "4B"
    new_address = {
        "street_number": "700",
        "street_name": "Congress Ave",
        "city": "Round Rock",
        "state": "TX",
        "zip_code": "78664",
        "coordinates": [-97.6789, 30.5083],
    }
    updated = await update_unit(client, tenant, unit["id"], address=new_address)
    assert updated["address"] == {
        **new_address,
        "id": old["id"],
        "unit": None,
        "country": "United States",
        "formatted_address": "700 Congress Ave, Round Rock, TX 78664",
    }
    # The filters follow the new address.
    assert await list_ids(client, tenant, {"city": "round rock"}) == [unit["id"]]
    assert await list_ids(client, tenant, {"zip_codes": "78664"}) == [unit["id"]]
    assert await list_ids(client, tenant, {"city": "Austin"}) == []
    assert await list_ids(client, tenant, {"zip_codes": "78701"}) == []
    # Omitting coordinates later clears them too.
    again = await update_unit(client, tenant, unit["id"], address={**new_address, "coordinates": None})
    assert again["address"]["coordinates"] is None


async def test_a_partial_address_is_refused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    unit = await create_unit(client, tenant)
    response = await client.post(
        PATH, json={"id": unit["id"], "address": {"city": "Dallas"}}, headers=tenant.headers
    )
    missing = {
        d["params"]["missingProperty"] for d in response.json()["details"] if d["keyword"] == "required"
    }
    assert missing == {"street_number", "street_name", "state", "zip_code"}
    error_at(response, "required", "/address")
    assert await fetch_unit(client, tenant, unit["id"]) == unit


async def test_unknown_or_invisible_ids_are_404(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    other = await make_tenant(runtime)
    theirs = await create_unit(client, other)
    for unit_id in (theirs["id"], 2_000_000_000, 99_999_999_999, 0, -1):
        response = await client.post(PATH, json={"id": unit_id, "bedrooms": 9}, headers=tenant.headers)
        assert response.status_code == 404, unit_id
        assert response.json() == {"error": "Not found"}
    assert await fetch_unit(client, other, theirs["id"]) == theirs
    assert await audit_entries(client, tenant) == []


async def test_account_id_on_update_must_be_the_current_one(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    tenant = await make_tenant(runtime, accounts=2)
    [second] = tenant.other_account_ids
    unit = await create_unit(client, tenant)
    same = await update_unit(client, tenant, unit["id"], account_id=str(tenant.account_id), sqft=900)
    assert same["sqft"] == "900"
    moved = await client.post(
        PATH, json={"id": unit["id"], "account_id": str(second), "sqft": 1}, headers=tenant.headers
    )
    item = error_at(moved, "const", "/account_id")
    assert item["params"] == {"allowedValue": str(tenant.account_id)}
    assert await fetch_unit(client, tenant, unit["id"]) == same


async def test_access_instructions_need_the_method_in_the_same_request(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    unit = await create_unit(
        client, tenant, showing_method="Self Guided", structured_access_instructions={"lockbox_code": "1"}
    )
    response = await client.post(
        PATH,
        json={"id": unit["id"], "structured_access_instructions": {"lockbox_code": "2"}},
        headers=tenant.headers,
    )
    item = error_at(response, "dependentRequired", "")
    assert item["params"]["missingProperty"] == "showing_method"
    assert await fetch_unit(client, tenant, unit["id"]) == unit
    changed = await update_unit(
        client,
        tenant,
        unit["id"],
        showing_method="Remote Guided with Gated Access",
        structured_access_instructions={"lockbox_code": "2", "notes": "Gate code 1122"},
    )
    assert changed["structured_access_instructions"] == {"lockbox_code": "2", "notes": "Gate code 1122"}
    # Clearing the instructions alone is fine.
    cleared = await update_unit(client, tenant, unit["id"], structured_access_instructions=None)
    assert cleared["structured_access_instructions"] is None
    assert cleared["showing_method"] == "Remote Guided with Gated Access"


async def test_update_writes_an_audit_entry_with_the_changed_fields(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    unit = await create_unit(client, tenant)
    updated = await update_unit(client, tenant, unit["id"], bedrooms=4, status="Available", sqft=1378)
    insert, update = await audit_entries(client, tenant, unit["id"])
    assert insert["action"] == "INSERT"
    assert update["action"] == "UPDATE"
    assert update["record_id"] == str(unit["id"])
    assert update["changes"] == {"bedrooms": ["3", "4"], "status": ["Incomplete", "Available"]}
    address = {**updated["address"], "city": "Dallas", "zip_code": "75201"}
    for key in ("id", "formatted_address"):
        del address[key]
    await update_unit(client, tenant, unit["id"], address=address)
    last = (await audit_entries(client, tenant, unit["id"]))[-1]
    assert list(last["changes"]) == ["address"]
    old, new = last["changes"]["address"]
    assert (old["city"], new["city"]) == ("Austin", "Dallas")
    assert new["formatted_address"] == "123 Main St 4B, Dallas, TX 75201"


async def test_failed_updates_write_nothing(client: httpx.AsyncClient, tenant: Tenant) -> None:
    unit = await create_unit(client, tenant)
    bad: list[dict[str, Any]] = [
        {"bedrooms": -1},
        {"bedrooms": 4, "status": "Rented"},
        {"bedrooms": 4, "updated_at": "2031-01-01T00:00:00Z"},
        {"bedrooms": 4, "address": {"street_number": "1"}},
        {"bedrooms": 4, "year_built": 9999},
    ]
    for fields in bad:
        response = await client.post(PATH, json={"id": unit["id"], **fields}, headers=tenant.headers)
        assert response.status_code == 400, fields
    assert await fetch_unit(client, tenant, unit["id"]) == unit
    assert [e["action"] for e in await audit_entries(client, tenant, unit["id"])] == ["INSERT"]


async def _market_times(runtime: Runtime, unit_id: int) -> tuple[Any, Any]:
    async with runtime.db.transaction(writes=False) as session:
        row = (await session.execute(select(Unit).where(Unit.id == unit_id))).scalar_one()
        return row.rate_changed_at, row.available_since


async def test_rate_and_availability_timestamps_follow_the_changes(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime, clock: Clock
) -> None:
    created_at = clock.now
    unit = await create_unit(client, tenant, target_rental_rate=2000)
    assert await _market_times(runtime, unit["id"]) == (created_at, None)
    listed_at = clock.advance(days=1)
    await update_unit(client, tenant, unit["id"], status="Available", target_rental_rate=2000)
    assert await _market_times(runtime, unit["id"]) == (created_at, listed_at)
    repriced_at = clock.advance(days=1)
    await update_unit(client, tenant, unit["id"], status="Available", target_rental_rate=1900)
    assert await _market_times(runtime, unit["id"]) == (repriced_at, listed_at)
    clock.advance(days=1)
    await update_unit(client, tenant, unit["id"], status="Leased")
    assert await _market_times(runtime, unit["id"]) == (repriced_at, None)
    relisted_at = clock.advance(days=1)
    await update_unit(client, tenant, unit["id"], status="Available")
    assert await _market_times(runtime, unit["id"]) == (repriced_at, relisted_at)


async def test_created_available_units_are_on_the_market_from_creation(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime, clock: Clock
) -> None:
    unit = await create_unit(client, tenant, status="Available")
    assert await _market_times(runtime, unit["id"]) == (clock.now, clock.now)
