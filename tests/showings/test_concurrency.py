"""Concurrent bookings of one slot: exactly one wins, the others get a 400, and the unit never has two
showings at once (the unit's row is locked on PostgreSQL; SQLite writers take turns)."""

import asyncio
from typing import Any

import httpx

from rentengine.runtime import Runtime
from tests.factories import Tenant
from tests.showings.helpers import Written, availability, book, create_unit, showings_of, starts, written

RACERS = 8


def racer(i: int) -> dict[str, Any]:
    return {"firstName": f"Racer{i}", "email": f"racer{i}@example.com", "phone": f"55500000{i:02d}"}


async def test_one_slot_booked_by_many_at_once_goes_to_exactly_one(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    unit = await create_unit(client, tenant)
    # Not the first window: by the time the booking arrives it may fall inside the lead hour.
    slot = starts((await availability(client, tenant, unit["id"]))["availableShowingWindows"])[1]
    responses = await asyncio.gather(
        *(book(client, tenant, unit["id"], slot, prospect=racer(i)) for i in range(RACERS))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * (RACERS - 1), [r.text for r in responses]
    for refused in (r for r in responses if r.status_code == 400):
        assert refused.json()["details"][0]["keyword"] == "availability"
    [showing] = await showings_of(runtime, unit["id"])
    assert showing.planned_date_time.isoformat().replace("+00:00", ".000000Z") == slot
    assert await written(runtime, tenant.account_id) == Written(1, 1, 1, 3)


async def test_different_slots_booked_at_once_all_succeed(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    unit = await create_unit(client, tenant)
    slots = starts((await availability(client, tenant, unit["id"]))["availableShowingWindows"])[
        1 : RACERS + 1
    ]
    responses = await asyncio.gather(
        *(book(client, tenant, unit["id"], slot, prospect=racer(i)) for i, slot in enumerate(slots))
    )
    assert [r.status_code for r in responses] == [200] * len(slots), [r.text for r in responses]
    assert len(await showings_of(runtime, unit["id"])) == len(slots)
    assert await written(runtime, tenant.account_id) == Written(
        len(slots), len(slots), len(slots), 3 * len(slots)
    )
