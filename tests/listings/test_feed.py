"""GET /marketing/listings/{accountId} read as a website reads it (API.md §16): no token, any origin."""

from datetime import timedelta
from typing import Any

import httpx

from rentengine.kit.clock import utc_now
from tests.factories import Tenant
from tests.listings.helpers import create_unit, feed_path

LISTING_KEYS = [
    "address",
    "beds",
    "baths",
    "rentAmount",
    "photos",
    "applyUrl",
    "btnUrl",
    "btnText",
    "waitlistLabel",
    "virtualTour",
    "specials",
]
STRING_KEYS = ("address", "beds", "baths", "rentAmount")
NULLABLE_STRING_KEYS = ("applyUrl", "btnUrl", "btnText", "waitlistLabel", "virtualTour", "specials")
PHOTOS = [
    {"path": "units/front.jpg", "hidden": False},
    {"path": "units/secret.jpg", "hidden": True},
    {"path": "https://images.example.com/kitchen.jpg", "hidden": False},
]


def check_listing_shape(listing: dict[str, Any]) -> None:
    assert list(listing) == LISTING_KEYS
    assert all(isinstance(listing[key], str) for key in STRING_KEYS)
    assert all(listing[key] is None or isinstance(listing[key], str) for key in NULLABLE_STRING_KEYS)
    assert isinstance(listing["photos"], list)
    assert all(isinstance(photo, str) for photo in listing["photos"])


async def test_lists_only_available_units_id_ascending_without_a_token(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    first = await create_unit(client, tenant, status="Available", target_rental_rate=1500)
    await create_unit(client, tenant, status="Leased")
    await create_unit(client, tenant, status="On Hold")
    second = await create_unit(client, tenant, status="Available", target_rental_rate=1750.5)
    response = await client.get(feed_path(tenant.account_id))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["access-control-allow-origin"] == "*"
    listings = response.json()
    assert isinstance(listings, list)
    assert [item["rentAmount"] for item in listings] == ["1500", "1750.5"]
    assert first["id"] < second["id"]
    for listing in listings:
        check_listing_shape(listing)


async def test_each_field_comes_from_the_unit(client: httpx.AsyncClient, tenant: Tenant) -> None:
    move_in = (utc_now() + timedelta(days=30)).date().isoformat()
    await create_unit(
        client,
        tenant,
        status="Available",
        bedrooms=2,
        bathrooms=1.5,
        target_rental_rate=2100,
        marketing_photos=PHOTOS,
        custom_application_url="https://apply.example.com/u/1",
        earliest_move_in_date=move_in,
        internal_notes="do not publish",
        structured_access_instructions={"lockbox_code": "9911"},
        showing_method="Self Guided",
    )
    [listing] = (await client.get(feed_path(tenant.account_id))).json()
    assert listing == {
        "address": "123 Main St 4B, Austin, TX 78701",
        "beds": "2",
        "baths": "1.5",
        "rentAmount": "2100",
        "photos": ["http://localhost:8000/units/front.jpg", "https://images.example.com/kitchen.jpg"],
        "applyUrl": "https://apply.example.com/u/1",
        "btnUrl": "https://apply.example.com/u/1",
        "btnText": "Apply Now",
        "waitlistLabel": f"Available {move_in}",
        "virtualTour": None,
        "specials": None,
    }


async def test_nothing_but_listing_data_leaves(client: httpx.AsyncClient, tenant: Tenant) -> None:
    unit = await create_unit(
        client,
        tenant,
        status="Available",
        bedrooms=None,
        bathrooms=None,
        earliest_move_in_date="2020-01-01",
        internal_notes="owner's phone 555-0100",
        structured_access_instructions={"lockbox_code": "4821"},
        showing_method="Self Guided",
    )
    response = await client.get(feed_path(tenant.account_id))
    [listing] = response.json()
    check_listing_shape(listing)
    assert (listing["beds"], listing["baths"], listing["waitlistLabel"], listing["btnText"]) == (
        "",
        "",
        None,
        None,
    )
    values = [value for value in listing.values() if not isinstance(value, list)] + listing["photos"]
    for private in (unit["id"], str(unit["id"]), unit["address"]["id"], str(unit["address"]["id"])):
        assert private not in values
    for secret in (str(tenant.account_id), str(tenant.user_id), "555-0100", "4821", "Self Guided"):
        assert secret not in response.text


async def test_unknown_account_is_404_and_a_malformed_one_400(client: httpx.AsyncClient) -> None:
    unknown = await client.get("/marketing/listings/00000000-0000-4000-8000-000000000000")
    assert (unknown.status_code, unknown.json()) == (404, {"error": "Not found"})
    assert unknown.headers["access-control-allow-origin"] == "*"
    malformed = await client.get("/marketing/listings/not-an-account")
    assert malformed.status_code == 400
    assert malformed.json()["details"][0]["instancePath"] == "/accountId"


async def test_any_query_parameter_is_refused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for query in ("limit=10", "page_number=0", "status=Available", "x="):
        response = await client.get(f"{feed_path(tenant.account_id)}?{query}")
        assert response.status_code == 400, query
        body = response.json()
        assert body["error"] == "Invalid query parameters"
        assert body["details"][0]["keyword"] == "additionalProperties"


async def test_an_empty_account_is_an_empty_array(client: httpx.AsyncClient, tenant: Tenant) -> None:
    await create_unit(client, tenant, status="Incomplete")
    response = await client.get(feed_path(tenant.account_id))
    assert (response.status_code, response.json()) == (200, [])
    assert response.headers["etag"].startswith('"')


async def test_the_token_is_not_needed_and_a_bad_one_is_ignored(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await create_unit(client, tenant, status="Available")
    plain = await client.get(feed_path(tenant.account_id))
    with_garbage = await client.get(feed_path(tenant.account_id), headers={"Authorization": "Bearer garbage"})
    assert plain.status_code == with_garbage.status_code == 200
    assert plain.content == with_garbage.content
