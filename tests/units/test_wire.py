"""The unit object: every field round-trips, enum spellings, photo URLs, and the documented examples."""

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from rentengine.units import examples
from tests.factories import Tenant
from tests.units.helpers import PATH, create_unit, fetch_unit, update_unit

NUMERIC_STRINGS = ("bedrooms", "bathrooms", "sqft", "num_parking_spots", "target_rental_rate")
SERVER_SET = ("id", "created_at", "updated_at")


def expected_record(body: dict[str, Any], base_url: str) -> dict[str, Any]:
    """What GET should show for a body that sent every field: numerics as strings, photo URLs added."""
    expected = {k: v for k, v in body.items() if k not in ("id", "address")}
    for name in NUMERIC_STRINGS:
        value = body[name]
        expected[name] = str(int(value)) if float(value).is_integer() else str(value)
    expected["marketing_photos"] = [
        {**p, "original": p["path"] if "://" in p["path"] else f"{base_url}/{p['path'].lstrip('/')}"}
        for p in body["marketing_photos"]
    ]
    return expected


def assert_round_trip(record: dict[str, Any], body: dict[str, Any], base_url: str) -> None:
    expected = expected_record(body, base_url)
    assert {k: record[k] for k in expected} == expected
    sent_address = body["address"]
    assert {k: record["address"][k] for k in sent_address} == {
        **sent_address,
        "state": sent_address["state"].upper(),
    }
    # Nothing the server returns is unaccounted for.
    assert set(record) == {*expected, *SERVER_SET, "address"}


def second_body(account_id: uuid.UUID) -> dict[str, Any]:
    """A body that changes every field of the example to another valid value."""
    return {
        "account_id": str(account_id),
        "status": "Price Analysis",
        "address": {
            "street_number": "88",
            "street_name": "Rainey St",
            "unit": "1201",
            "city": "Austin",
            "state": "tx",
            "zip_code": "78701-4411",
            "country": "United States",
            "coordinates": [-97.7386, 30.2588],
        },
        "property_type": "CONDO",
        "bedrooms": 1,
        "bathrooms": 1,
        "sqft": 742.5,
        "num_parking_spots": 0,
        "target_rental_rate": 2150.5,
        "furnished": True,
        "renovated": "No",
        "laundry": "Shared",
        "is_occupied": True,
        "allow_cooperating_brokers": False,
        "hoa_app_required": True,
        "earliest_move_in_date": "2026-01-15",
        "earliest_showing_date": "2026-01-02",
        "desired_lease_duration_months": [6],
        "pets_allowed": "No",
        "pet_restrictions": None,
        "key_access": "Concierge desk",
        "hoa_application_url": "https://hoa.example.com/apply",
        "hoa_app_fee": 75.5,
        "highlighted_amenities": ["Rooftop pool"],
        "amenities": ["Gym", "Concierge"],
        "utilities_included": ["Water", "Internet"],
        "parking_type": ["Assigned Spots", "Paid Parking"],
        "monthly_fees": [],
        "move_in_fees": [{"name": "Move-in fee", "type": "fixed", "amount": 250}],
        "pet_fees": [],
        "marketing_photos": [{"path": "/condos/1201/living.jpg", "hidden": True}],
        "marketing_description": "Downtown high-rise condo with lake views.",
        "custom_application_url": "https://apply.example.com/88-rainey",
        "min_resident_qualifications": "Income 2.5x rent",
        "storm_protection": "Impact windows",
        "internal_notes": None,
        "showing_method": "Accompanied",
        "structured_access_instructions": {
            "assigned_user_ids": [str(uuid.uuid4())],
            "meeting_location": "Lobby",
            "notes": "Check in with the concierge",
        },
        "accepts_vouchers": False,
        "has_elevator": True,
        "prescreen_rules": {"min_credit_score_band": None, "min_income_to_rent_ratio": 2.5},
        "prescreen_template_id": 17,
        "floor_number": 12,
        "year_built": 2010,
        "commission_amount": 0,
        "extracted_from": None,
    }


@pytest.fixture
async def photo_client(make_client: Callable[..., httpx.AsyncClient]) -> AsyncIterator[httpx.AsyncClient]:
    """A server whose public origin (with a trailing slash) prefixes relative photo paths."""
    async with make_client(public_base_url="https://rentals.example.com/") as client:
        yield client


BASE_URL = "https://rentals.example.com"


async def test_every_field_round_trips_on_create_and_update(
    photo_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    client = photo_client
    first = {**examples.CREATE_BODY, "account_id": str(tenant.account_id)}
    created = (await client.post(PATH, json=first, headers=tenant.headers)).json()
    assert_round_trip(created, first, BASE_URL)
    assert await fetch_unit(client, tenant, created["id"]) == created
    second = second_body(tenant.account_id)
    updated = (await client.post(PATH, json={**second, "id": created["id"]}, headers=tenant.headers)).json()
    assert_round_trip(updated, second, BASE_URL)
    assert updated["address"]["id"] == created["address"]["id"]
    assert updated["address"]["formatted_address"] == "88 Rainey St 1201, Austin, TX 78701-4411"
    assert await fetch_unit(client, tenant, created["id"]) == updated


async def test_the_documented_example_is_what_the_server_returns(
    photo_client: httpx.AsyncClient, tenant: Tenant
) -> None:
    body = {**examples.CREATE_BODY, "account_id": str(tenant.account_id)}
    response = await photo_client.post(PATH, json=body, headers=tenant.headers)
    assert response.status_code == 201
    record = response.json()
    documented = examples.UNIT_EXAMPLE
    assert list(record) == list(documented)
    server_set = {"id", "account_id", "created_at", "updated_at"}
    assert {k: v for k, v in record.items() if k not in server_set | {"address"}} == {
        k: v for k, v in documented.items() if k not in server_set | {"address"}
    }
    assert {**record["address"], "id": 0} == {**documented["address"], "id": 0}
    update = {**examples.UPDATE_BODY, "id": record["id"]}
    updated = (await photo_client.post(PATH, json=update, headers=tenant.headers)).json()
    changed = {k for k in documented if examples.UPDATED_EXAMPLE[k] != documented[k]}
    assert changed == {"status", "target_rental_rate", "updated_at"}
    assert {k: updated[k] for k in changed - {"updated_at"}} == {
        k: examples.UPDATED_EXAMPLE[k] for k in changed - {"updated_at"}
    }


# The spellings of API.md §6.3, written out here so that the test does not trust the code's enums.
DOCUMENTED_ENUMS: list[tuple[str, list[str]]] = [
    (
        "status",
        [
            "Incomplete",
            "Under Review",
            "Available",
            "Archived",
            "Leased",
            "On Hold",
            "Expired",
            "Withdrawn",
            "Withdrawal Requested",
            "Price Analysis",
        ],
    ),
    (
        "property_type",
        ["SINGLE FAMILY RESIDENCE", "DUPLEX", "TRIPLEX", "MULTI-FAMILY", "CONDO", "TOWNHOUSE", "ROOM", "ADU"],
    ),
    (
        "laundry",
        ["In Unit", "Shared", "Coin-op", "Hookups but no machines", "Machines In Unit", "On-site", "None"],
    ),
    ("showing_method", ["Accompanied", "Remote Guided", "Remote Guided with Gated Access", "Self Guided"]),
]
PARKING_TYPES = [
    "Street",
    "Carport",
    "Assigned Spots",
    "Driveway",
    "Shared Garage",
    "Private Garage",
    "Paid Parking",
]


@pytest.mark.parametrize(("field", "values"), DOCUMENTED_ENUMS)
async def test_every_documented_enum_spelling_round_trips(
    client: httpx.AsyncClient, tenant: Tenant, field: str, values: list[str]
) -> None:
    unit = await create_unit(client, tenant)
    for value in values:
        assert (await update_unit(client, tenant, unit["id"], **{field: value}))[field] == value
        assert (await fetch_unit(client, tenant, unit["id"]))[field] == value


async def test_every_parking_type_round_trips(client: httpx.AsyncClient, tenant: Tenant) -> None:
    unit = await create_unit(client, tenant, parking_type=PARKING_TYPES)
    assert unit["parking_type"] == PARKING_TYPES
    assert (await fetch_unit(client, tenant, unit["id"]))["parking_type"] == PARKING_TYPES


async def test_photo_originals_are_full_urls(photo_client: httpx.AsyncClient, tenant: Tenant) -> None:
    photos = [
        {"path": "units/7/front.jpg", "hidden": False},
        {"path": "/units/7/back.jpg", "hidden": True},
        {"path": "https://cdn.example.com/7/kitchen.jpg", "hidden": False},
    ]
    unit = await create_unit(photo_client, tenant, marketing_photos=photos)
    assert [p["original"] for p in unit["marketing_photos"]] == [
        "https://rentals.example.com/units/7/front.jpg",
        "https://rentals.example.com/units/7/back.jpg",
        "https://cdn.example.com/7/kitchen.jpg",
    ]
    assert [{"path": p["path"], "hidden": p["hidden"]} for p in unit["marketing_photos"]] == photos


async def test_formatted_address_with_and_without_a_unit(client: httpx.AsyncClient, tenant: Tenant) -> None:
    with_unit = await create_unit(client, tenant)
    assert with_unit["address"]["formatted_address"] == "123 Main St 4B, Austin, TX 78701"
    address = {
        "street_number": "123",
        "street_name": "Main St",
        "city": "Austin",
        "state": "TX",
        "zip_code": "78701",
    }
    without = await create_unit(client, tenant, address=address)
    assert without["address"]["formatted_address"] == "123 Main St, Austin, TX 78701"
