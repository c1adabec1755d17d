"""GET /market-tool/comps read as a client reads it (API.md §17): fields, order, area and filters."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from rentengine.kit.clock import set_clock
from tests.comps.helpers import distance_miles, get_comps, near, new_area, place_unit
from tests.factories import Tenant

COMP_TYPES: dict[str, tuple[type, ...]] = {
    "address": (str,),
    "unit_number": (str, type(None)),
    "beds": (int, float, type(None)),
    "baths": (int, float, type(None)),
    "sqft": (int, float, type(None)),
    "rent": (int, float),
    "days_on_market": (int, type(None)),
    "date_rented": (str, type(None)),
    "features": (list,),
    "status": (str,),
    "latitude": (int, float),
    "longitude": (int, float),
    "property_type": (str,),
    "image": (str, type(None)),
    "zipcode": (str,),
    "furnished": (bool,),
    "in_apartment_complex": (bool,),
    "num_parking_spots": (int, type(None)),
    "description": (str, type(None)),
}


def check_shape(comp: dict[str, Any]) -> None:
    assert list(comp) == list(COMP_TYPES)
    for name, types in COMP_TYPES.items():
        assert isinstance(comp[name], types), (name, comp[name])
    assert comp["status"] in ("Rented", "Available")
    assert comp["property_type"] in ("Single Family", "Townhouse", "Apartment")


@pytest.fixture
def pinned() -> Iterator[list[datetime]]:
    """A clock the test moves by hand (one element: now)."""
    now = [datetime(2025, 6, 1, 12, 0, tzinfo=UTC)]
    set_clock(lambda: now[0])
    yield now
    set_clock(None)


async def test_nearest_first_with_exactly_the_comp_fields(client: httpx.AsyncClient, tenant: Tenant) -> None:
    area = new_area()
    offsets = [(3.0, 1.0), (0.5, 0.2), (-2.0, -4.0), (1.0, -1.0), (0.0, 6.5)]
    for north, east in offsets:
        await place_unit(client, tenant, area.at(north, east), area.zip_code)
    response = await get_comps(client, tenant, near(area))
    assert response.status_code == 200
    comps = response.json()
    assert len(comps) == len(offsets)
    distances = [distance_miles(area.latitude, area.longitude, c["latitude"], c["longitude"]) for c in comps]
    assert distances == sorted(distances)
    expected = sorted(distance_miles(area.latitude, area.longitude, *area.at(n, e)) for n, e in offsets)
    assert distances == pytest.approx(expected, abs=1e-6)
    for comp in comps:
        check_shape(comp)


async def test_each_field_from_the_unit_and_no_ids_or_account_data(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    area = new_area()
    where = area.at(1)
    unit = await place_unit(
        client,
        tenant,
        where,
        area.zip_code,
        status="Leased",
        property_type="MULTI-FAMILY",
        bedrooms=2,
        bathrooms=1,
        sqft=900,
        target_rental_rate=1800,
        num_parking_spots=1,
        furnished=True,
        highlighted_amenities=["Pool"],
        amenities=["Pool", "Gym"],
        marketing_photos=[{"path": "hidden.jpg", "hidden": True}, {"path": "shown.jpg", "hidden": False}],
        marketing_description="Sunny corner unit",
        internal_notes="owner secret",
    )
    [comp] = (await get_comps(client, tenant, near(area))).json()
    street = f"{unit['address']['street_number']} Comp St"
    assert comp == {
        "address": f"{street}, Testville, TX {area.zip_code}",
        "unit_number": None,
        "beds": 2,
        "baths": 1,
        "sqft": 900,
        "rent": 1800,
        "days_on_market": None,
        "date_rented": comp["date_rented"],
        "features": ["Pool", "Gym"],
        "status": "Rented",
        "latitude": pytest.approx(where[0]),
        "longitude": pytest.approx(where[1]),
        "property_type": "Apartment",
        "image": "http://localhost:8000/shown.jpg",
        "zipcode": area.zip_code,
        "furnished": True,
        "in_apartment_complex": True,
        "num_parking_spots": 1,
        "description": "Sunny corner unit",
    }
    assert comp["date_rented"] == unit["created_at"][:10]
    text = str(comp)
    for private in (str(tenant.account_id), unit["account_id"], "owner secret"):
        assert private not in text
    assert unit["id"] not in comp.values()


async def test_only_leased_and_available_units_with_coordinates(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    area = new_area()
    kinds = {"SINGLE FAMILY RESIDENCE": "Single Family", "TOWNHOUSE": "Townhouse", "CONDO": "Apartment"}
    for i, (status, kind) in enumerate(zip(["Available", "Leased", "On Hold"], kinds, strict=True)):
        await place_unit(client, tenant, area.at(i + 1), area.zip_code, status=status, property_type=kind)
    for status in ("Incomplete", "Archived", "Expired", "Withdrawn"):
        await place_unit(client, tenant, area.at(0.1), area.zip_code, status=status)
    await place_unit(client, tenant, None, area.zip_code, status="Available")
    comps = (await get_comps(client, tenant, near(area))).json()
    assert [(c["status"], c["property_type"]) for c in comps] == [
        ("Available", "Single Family"),
        ("Rented", "Townhouse"),
    ]
    by_zip = (
        await get_comps(client, tenant, {**near(area), "radius_miles": None, "zipcodes": area.zip_code})
    ).json()
    assert len(by_zip) == 2


async def test_the_radius_is_inclusive_and_measured_on_the_sphere(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    area = new_area()
    await place_unit(client, tenant, area.at(4.99), area.zip_code, target_rental_rate=1)
    await place_unit(client, tenant, area.at(5.01), area.zip_code, target_rental_rate=2)
    # On the diagonal: inside the bounding box of 5 miles, outside the circle.
    await place_unit(client, tenant, area.at(4.0, 4.0), area.zip_code, target_rental_rate=3)
    assert [c["rent"] for c in (await get_comps(client, tenant, near(area, 5))).json()] == [1]
    assert [c["rent"] for c in (await get_comps(client, tenant, near(area, 5.02))).json()] == [1, 2]
    assert [c["rent"] for c in (await get_comps(client, tenant, near(area, 25))).json()] == [1, 2, 3]
    assert (await get_comps(client, tenant, near(area, 0.001))).json() == []


async def test_across_the_antimeridian_and_near_a_pole(client: httpx.AsyncClient, tenant: Tenant) -> None:
    east = new_area(latitude=-17.5 + (hash(tenant.account_id) % 100) / 1000, longitude=179.99)
    await place_unit(client, tenant, east.at(0, 2), east.zip_code, target_rental_rate=10)  # at -179.97…
    await place_unit(client, tenant, east.at(0, -3), east.zip_code, target_rental_rate=20)
    comps = (await get_comps(client, tenant, near(east, 5))).json()
    assert [c["rent"] for c in comps] == [10, 20]
    assert comps[0]["longitude"] < -179
    polar = new_area(latitude=89.95, longitude=(hash(tenant.user_id) % 300) - 150)
    # Across the pole: ~6.9 miles away although the longitude differs by 180 degrees.
    await place_unit(client, tenant, (89.95, (polar.longitude + 360) % 360 - 180), polar.zip_code)
    assert len((await get_comps(client, tenant, near(polar, 8))).json()) == 1


async def test_zipcodes_comma_separated_or_repeated(client: httpx.AsyncClient, tenant: Tenant) -> None:
    first, second, third = new_area(), new_area(), new_area()
    await place_unit(client, tenant, first.at(1), first.zip_code, target_rental_rate=1)
    await place_unit(client, tenant, second.at(1), second.zip_code, target_rental_rate=2)
    await place_unit(client, tenant, third.at(1), third.zip_code, target_rental_rate=3)
    point = {"latitude": first.latitude, "longitude": first.longitude}
    comma = await get_comps(client, tenant, {**point, "zipcodes": f"{first.zip_code},{second.zip_code}"})
    repeated = await get_comps(
        client, tenant, [*point.items(), ("zipcodes", first.zip_code), ("zipcodes", second.zip_code)]
    )
    assert [c["rent"] for c in comma.json()] == [c["rent"] for c in repeated.json()] == [1, 2]
    # Far away is still returned by zip code, nearest first.
    assert comma.json()[0]["zipcode"] == first.zip_code


async def test_inclusive_ranges_of_beds_baths_and_sqft(client: httpx.AsyncClient, tenant: Tenant) -> None:
    area = new_area()
    homes = [(1, 1, 600), (2, 1.5, 900), (3, 2, 1400), (4, 3, 2200)]
    for i, (beds, baths, sqft) in enumerate(homes):
        await place_unit(
            client, tenant, area.at(i + 1), area.zip_code, bedrooms=beds, bathrooms=baths, sqft=sqft
        )

    async def beds_for(**params: Any) -> list[float]:
        response = await get_comps(client, tenant, near(area, **params))
        assert response.status_code == 200, response.text
        return [c["beds"] for c in response.json()]

    assert await beds_for(min_beds=2, max_beds=3) == [2, 3]
    assert await beds_for(min_baths=1.5, max_baths=2) == [2, 3]
    assert await beds_for(min_sqft=900, max_sqft=2200) == [2, 3, 4]
    assert await beds_for(max_sqft=599) == []
    assert await beds_for(min_beds=4, min_baths=3, min_sqft=2200) == [4]


async def test_days_on_market_and_the_rented_dates(
    client: httpx.AsyncClient, tenant: Tenant, pinned: list[datetime]
) -> None:
    area = new_area()
    start = pinned[0]
    pinned[0] = start - timedelta(days=20)
    leased = await place_unit(
        client, tenant, area.at(1), area.zip_code, status="Available", target_rental_rate=1
    )
    old = await place_unit(
        client, tenant, area.at(2), area.zip_code, status="Incomplete", target_rental_rate=2
    )
    pinned[0] = start - timedelta(days=15)
    await client.post("/units", json={"id": old["id"], "status": "Available"}, headers=tenant.headers)
    pinned[0] = start - timedelta(days=5)
    for unit_id in (leased["id"], old["id"]):
        await client.post("/units", json={"id": unit_id, "status": "Leased"}, headers=tenant.headers)
    pinned[0] = start - timedelta(days=3)
    await place_unit(client, tenant, area.at(3), area.zip_code, status="Available", target_rental_rate=3)
    pinned[0] = start

    async def found(**params: Any) -> list[tuple[float, int | None, str | None]]:
        response = await get_comps(client, tenant, near(area, **params))
        assert response.status_code == 200, response.text
        return [(c["rent"], c["days_on_market"], c["date_rented"]) for c in response.json()]

    rented_day = (start - timedelta(days=5)).date().isoformat()
    assert await found() == [(1, 15, rented_day), (2, 10, rented_day), (3, 3, None)]
    assert await found(min_days_on_market=10) == [(1, 15, rented_day), (2, 10, rented_day)]
    assert await found(max_days_on_market=10) == [(2, 10, rented_day), (3, 3, None)]
    assert await found(start_date=rented_day, end_date=rented_day) == await found()
    day_after = (start - timedelta(days=4)).date().isoformat()
    # Available comps always pass the date filter.
    assert await found(start_date=day_after) == [(3, 3, None)]
    assert await found(end_date=(start - timedelta(days=6)).date().isoformat()) == [(3, 3, None)]


async def test_at_most_200_comps_the_nearest(client: httpx.AsyncClient, tenant: Tenant) -> None:
    area = new_area()
    for i in range(205):
        await place_unit(client, tenant, area.at(0.01 * (i + 1)), area.zip_code, target_rental_rate=i + 1)
    comps = (await get_comps(client, tenant, near(area, 5))).json()
    assert [c["rent"] for c in comps] == list(range(1, 201))
