"""The stored wire forms behind `GET /units`: the list is the same whether or not they are used.

Each test compares the list with what the same units give when rebuilt from their columns: after
the stored forms are removed (units written before they existed), made stale (an older release),
or read by a server with another public base URL (photo URLs resolved against it).
"""

import json
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select, update

from rentengine.runtime import Runtime
from rentengine.units.models import Unit
from rentengine.units.service import refresh_stale_wires
from rentengine.units.wire import is_current
from tests.factories import Tenant
from tests.units.helpers import create_unit, list_units, update_unit

RELATIVE_PHOTO = {"path": "photos/front.jpg", "hidden": False}
ABSOLUTE_PHOTO = {"path": "https://cdn.example.com/back.jpg", "hidden": True}


async def _three_units(client: httpx.AsyncClient, tenant: Tenant) -> list[dict[str, Any]]:
    plain = await create_unit(client, tenant)
    relative = await create_unit(client, tenant, marketing_photos=[RELATIVE_PHOTO])
    absolute = await create_unit(client, tenant, marketing_photos=[ABSOLUTE_PHOTO])
    await update_unit(client, tenant, plain["id"], bedrooms=4, status="Available")
    return [plain, relative, absolute]


async def _set_stored_forms(runtime: Runtime, tenant: Tenant, **values: Any) -> None:
    # `updated_at` is kept as it is: only the stored forms change, not the units.
    stmt = update(Unit).where(Unit.account_id == tenant.account_id).values(updated_at=Unit.updated_at)
    async with runtime.db.transaction() as session:
        await session.execute(stmt.values(**values))


async def test_stored_forms_match_the_written_records(client: httpx.AsyncClient, tenant: Tenant) -> None:
    written = await _three_units(client, tenant)
    updated = await update_unit(client, tenant, written[1]["id"], bathrooms=2.5)
    listed = await list_units(client, tenant)
    assert [row["id"] for row in listed] == [row["id"] for row in written]
    assert listed[1] == updated
    assert listed[1]["marketing_photos"][0]["original"].endswith("/photos/front.jpg")
    assert listed[2]["marketing_photos"][0]["original"] == ABSOLUTE_PHOTO["path"]


async def test_units_without_stored_forms_list_the_same(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    await _three_units(client, tenant)
    expected = await list_units(client, tenant)
    await _set_stored_forms(runtime, tenant, wire_json=None, wire_key=None)
    assert await list_units(client, tenant) == expected


async def test_stored_forms_of_another_version_are_not_served(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    await _three_units(client, tenant)
    expected = await list_units(client, tenant)
    await _set_stored_forms(runtime, tenant, wire_json=b'{"id": 0, "stale": true}', wire_key="0")
    assert await list_units(client, tenant) == expected


async def test_photo_urls_follow_the_base_url_of_the_reading_server(
    client: httpx.AsyncClient, make_client: Callable[..., httpx.AsyncClient], tenant: Tenant
) -> None:
    await _three_units(client, tenant)
    async with make_client(public_base_url="https://homes.example.org") as other:
        listed = await list_units(other, tenant)
    assert listed[1]["marketing_photos"][0]["original"] == "https://homes.example.org/photos/front.jpg"
    assert listed[2]["marketing_photos"][0]["original"] == ABSOLUTE_PHOTO["path"]
    assert [row["updated_at"] for row in listed] == [
        row["updated_at"] for row in await list_units(client, tenant)
    ]


async def test_refreshing_rebuilds_missing_forms_without_changing_the_units(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    await _three_units(client, tenant)
    expected = await list_units(client, tenant)
    await _set_stored_forms(runtime, tenant, wire_json=None, wire_key=None)
    assert await refresh_stale_wires(runtime.db, runtime.settings.public_base_url, batch=2) >= 3
    async with runtime.db.transaction(writes=False) as session:
        keys = await session.scalars(select(Unit.wire_key).where(Unit.account_id == tenant.account_id))
        assert all(is_current(key, runtime.settings.public_base_url) for key in keys)
    assert await list_units(client, tenant) == expected
    assert await refresh_stale_wires(runtime.db, runtime.settings.public_base_url) == 0


async def test_a_unit_stored_with_a_null_is_occupied_lists_it_as_false(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    # As an earlier release stored it: the attribute null, and a stored form of version 1 saying so.
    unit = await create_unit(client, tenant)
    stored = {**unit, "is_occupied": None}
    async with runtime.db.transaction() as session:
        row = await session.get(Unit, unit["id"])
        assert row is not None
        attributes = {**row.attributes, "is_occupied": None}
    await _set_stored_forms(
        runtime, tenant, attributes=attributes, wire_json=json.dumps(stored).encode(), wire_key="1"
    )
    [listed] = await list_units(client, tenant)
    assert listed["is_occupied"] is False
    assert listed == {**unit, "is_occupied": False}
