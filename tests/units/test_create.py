"""POST /units without `id`: defaults, required fields, validation, access, audit."""

import uuid
from typing import Any

import httpx
import pytest

from rentengine.runtime import Runtime
from tests.factories import Tenant, make_tenant, unit_body
from tests.units.helpers import PATH, audit_entries, create_unit, error_at, fetch_unit, list_units

MINIMAL_ADDRESS = {
    "street_number": "9",
    "street_name": "Elm St",
    "city": "Austin",
    "state": "TX",
    "zip_code": "78704",
}


def _minimal_body(account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "account_id": str(account_id),
        "address": MINIMAL_ADDRESS,
        "property_type": "CONDO",
        "target_rental_rate": 1500,
    }


async def test_minimal_create_fills_documented_defaults(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(PATH, json=_minimal_body(tenant.account_id), headers=tenant.headers)
    assert response.status_code == 201
    unit = response.json()
    assert isinstance(unit["id"], int)
    assert unit["account_id"] == str(tenant.account_id)
    assert unit["status"] == "Incomplete"
    assert unit["target_rental_rate"] == "1500"
    assert unit["address"]["country"] == "United States"
    assert unit["address"]["unit"] is None
    assert unit["address"]["coordinates"] is None
    assert unit["address"]["formatted_address"] == "9 Elm St, Austin, TX 78704"
    assert unit["furnished"] is False
    for name in ("bedrooms", "bathrooms", "sqft", "num_parking_spots", "laundry", "showing_method"):
        assert unit[name] is None, name
    for name in ("amenities", "parking_type", "monthly_fees", "marketing_photos"):
        assert unit[name] == [], name
    assert unit["created_at"] == unit["updated_at"]
    assert unit["created_at"].endswith("Z")
    assert await fetch_unit(client, tenant, unit["id"]) == unit


async def test_numerics_go_in_as_numbers_and_come_out_as_strings(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    unit = await create_unit(
        client, tenant, bedrooms=3, bathrooms=2.5, sqft=1378, num_parking_spots=2, target_rental_rate=2450.75
    )
    got = {k: unit[k] for k in ("bedrooms", "bathrooms", "sqft", "num_parking_spots", "target_rental_rate")}
    assert got == {
        "bedrooms": "3",
        "bathrooms": "2.5",
        "sqft": "1378",
        "num_parking_spots": "2",
        "target_rental_rate": "2450.75",
    }
    zero = await create_unit(client, tenant, bedrooms=0, bathrooms=0, sqft=0, num_parking_spots=0)
    assert [zero[k] for k in ("bedrooms", "bathrooms", "sqft", "num_parking_spots")] == ["0"] * 4


async def test_create_requires_the_documented_fields(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(PATH, json={"bedrooms": 3}, headers=tenant.headers)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Invalid request parameters"
    missing = {d["params"]["missingProperty"] for d in body["details"] if d["keyword"] == "required"}
    assert missing == {"address", "property_type", "target_rental_rate", "account_id"}
    assert {d["instancePath"] for d in body["details"]} == {""}


def _address(**changes: Any) -> dict[str, Any]:
    address: dict[str, Any] = {**MINIMAL_ADDRESS, **changes}
    return {"address": {k: v for k, v in address.items() if v is not None}}


# (overrides of a valid create body, expected keyword, expected instancePath)
INVALID_CREATES: list[tuple[dict[str, Any], str, str]] = [
    (_address(city=None), "required", "/address"),
    (_address(street_number=""), "minLength", "/address/street_number"),
    (_address(state="Texas"), "pattern", "/address/state"),
    (_address(country="Canada"), "enum", "/address/country"),
    (_address(coordinates=[-200, 30]), "minimum", "/address/coordinates/0"),
    (_address(coordinates=[-97.7, 91]), "maximum", "/address/coordinates/1"),
    (_address(coordinates=[-97.7]), "minItems", "/address/coordinates"),
    (_address(coordinates=[-97.7, 30.2, 0]), "maxItems", "/address/coordinates"),
    (_address(coordinates="-97.7,30.2"), "type", "/address/coordinates"),
    (_address(id=5), "additionalProperties", "/address"),
    (_address(formatted_address="9 Elm St"), "additionalProperties", "/address"),
    ({"address": None}, "type", "/address"),
    ({"created_at": "2024-01-01T00:00:00Z"}, "additionalProperties", ""),
    ({"updated_at": "2024-01-01T00:00:00Z"}, "additionalProperties", ""),
    ({"colour": "blue"}, "additionalProperties", ""),
    # NUL cannot be stored (PostgreSQL), so it is refused up front.
    ({"renovated": "a\u0000b"}, "pattern", "/renovated"),
    (_address(street_name="Main\u0000St"), "pattern", "/address/street_name"),
    ({"amenities": ["Pool\u0000"]}, "pattern", "/amenities/0"),
    ({"unit": "4B"}, "additionalProperties", ""),
    (
        {"marketing_photos": [{"path": "a.jpg", "hidden": False, "original": "https://x.example/a.jpg"}]},
        "additionalProperties",
        "/marketing_photos/0",
    ),
    ({"marketing_photos": [{"path": "a.jpg"}]}, "required", "/marketing_photos/0"),
    ({"bedrooms": -1}, "minimum", "/bedrooms"),
    ({"bedrooms": "3"}, "type", "/bedrooms"),
    ({"sqft": True}, "type", "/sqft"),
    ({"num_parking_spots": 1.5}, "type", "/num_parking_spots"),
    ({"num_parking_spots": -1}, "minimum", "/num_parking_spots"),
    ({"target_rental_rate": 0}, "exclusiveMinimum", "/target_rental_rate"),
    ({"target_rental_rate": None}, "type", "/target_rental_rate"),
    ({"property_type": "HOUSE"}, "enum", "/property_type"),
    ({"property_type": None}, "enum", "/property_type"),
    ({"account_id": "nope"}, "format", "/account_id"),
    ({"status": "Rented"}, "enum", "/status"),
    ({"status": None}, "enum", "/status"),
    ({"laundry": "Washer"}, "enum", "/laundry"),
    ({"parking_type": ["Garage"]}, "enum", "/parking_type/0"),
    ({"showing_method": "Virtual"}, "enum", "/showing_method"),
    ({"furnished": "yes"}, "type", "/furnished"),
    ({"furnished": None}, "type", "/furnished"),
    ({"amenities": None}, "type", "/amenities"),
    ({"amenities": "Pool"}, "type", "/amenities"),
    ({"earliest_move_in_date": "03/01/2025"}, "format", "/earliest_move_in_date"),
    ({"earliest_showing_date": "2025-02-30"}, "format", "/earliest_showing_date"),
    ({"desired_lease_duration_months": [0]}, "minimum", "/desired_lease_duration_months/0"),
    ({"monthly_fees": [{"name": "Trash", "amount": 5}]}, "required", "/monthly_fees/0"),
    ({"pet_fees": [{"name": "Pet rent", "type": "fixed", "amount": "35"}]}, "type", "/pet_fees/0/amount"),
    ({"hoa_app_fee": "150"}, "type", "/hoa_app_fee"),
    ({"year_built": 3000}, "maximum", "/year_built"),
    ({"floor_number": 2.0}, "type", "/floor_number"),
    (
        {"prescreen_rules": {"min_income_to_rent_ratio": -1}},
        "minimum",
        "/prescreen_rules/min_income_to_rent_ratio",
    ),
    ({"prescreen_rules": {"min_score": 700}}, "additionalProperties", "/prescreen_rules"),
    ({"structured_access_instructions": {"notes": "Call first"}}, "dependentRequired", ""),
    (
        {"showing_method": None, "structured_access_instructions": {"notes": "Call first"}},
        "type",
        "/showing_method",
    ),
    (
        {"showing_method": "Accompanied", "structured_access_instructions": {"lockbox_code": "1234"}},
        "additionalProperties",
        "/structured_access_instructions",
    ),
    (
        {"showing_method": "Self Guided", "structured_access_instructions": {"meeting_location": "Porch"}},
        "additionalProperties",
        "/structured_access_instructions",
    ),
    (
        {"showing_method": "Self Guided", "structured_access_instructions": {"door_code": "1"}},
        "additionalProperties",
        "/structured_access_instructions",
    ),
    (
        {"showing_method": "Accompanied", "structured_access_instructions": {"assigned_user_ids": ["x"]}},
        "format",
        "/structured_access_instructions/assigned_user_ids/0",
    ),
]


@pytest.mark.parametrize(("overrides", "keyword", "path"), INVALID_CREATES)
async def test_invalid_creates_are_400_and_write_nothing(
    client: httpx.AsyncClient, tenant: Tenant, overrides: dict[str, Any], keyword: str, path: str
) -> None:
    body = {**unit_body(tenant.account_id), **overrides}
    response = await client.post(PATH, json=body, headers=tenant.headers)
    error_at(response, keyword, path)
    assert response.json()["error"] == "Invalid request parameters"
    assert await list_units(client, tenant) == []
    assert await audit_entries(client, tenant) == []


@pytest.mark.parametrize("body", [[], "unit", 5, None])
async def test_a_body_that_is_not_an_object_is_400(
    client: httpx.AsyncClient, tenant: Tenant, body: Any
) -> None:
    response = await client.post(PATH, json=body, headers=tenant.headers)
    assert response.status_code == 400
    assert response.json()["details"]
    assert await list_units(client, tenant) == []


async def test_create_in_an_inaccessible_account_is_403(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    other = await make_tenant(runtime)
    for account_id in (other.account_id, uuid.uuid4()):
        response = await client.post(PATH, json=unit_body(account_id), headers=tenant.headers)
        assert response.status_code == 403
        assert response.json() == {"error": "Forbidden"}
    assert await list_units(client, other) == []
    assert await list_units(client, tenant) == []


async def test_create_in_a_second_account_of_the_user(client: httpx.AsyncClient, runtime: Runtime) -> None:
    tenant = await make_tenant(runtime, accounts=2)
    [second] = tenant.other_account_ids
    unit = await create_unit(client, tenant, second)
    assert unit["account_id"] == str(second)


async def test_create_writes_an_insert_audit_entry(client: httpx.AsyncClient, tenant: Tenant) -> None:
    unit = await create_unit(client, tenant)
    [entry] = await audit_entries(client, tenant, unit["id"])
    assert entry["action"] == "INSERT"
    assert entry["table"] == "units"
    assert entry["record_id"] == str(unit["id"])
    assert entry["changes"] is None
    assert entry["account_id"] == str(tenant.account_id)
    assert entry["user_id"] == str(tenant.user_id)
    assert entry["api_key_id"] == str(tenant.key_id)
    assert (entry["request_method"], entry["request_path"]) == ("POST", "/api/public/v1/units")


async def test_null_id_creates(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(PATH, json=unit_body(tenant.account_id, id=None), headers=tenant.headers)
    assert response.status_code == 201


async def test_state_is_stored_as_an_upper_case_code(client: httpx.AsyncClient, tenant: Tenant) -> None:
    unit = await create_unit(client, tenant, **_address(state="tx"))
    assert unit["address"]["state"] == "TX"
    assert unit["address"]["formatted_address"] == "9 Elm St, Austin, TX 78704"


async def test_access_instructions_for_accompanied_showings(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    agent = str(uuid.uuid4())
    instructions = {"assigned_user_ids": [agent], "meeting_location": "Front porch", "notes": "Ring twice"}
    unit = await create_unit(
        client, tenant, showing_method="Accompanied", structured_access_instructions=instructions
    )
    assert unit["structured_access_instructions"] == instructions
    assert (await fetch_unit(client, tenant, unit["id"]))["structured_access_instructions"] == instructions
