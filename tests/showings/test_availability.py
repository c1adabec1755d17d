"""GET /showings/availability as a client reads it: the windows of the account's hours in its zone,
a booked slot gone and its neighbours preferred, units that offer nothing, and tenancy."""

import uuid
from datetime import UTC, datetime

import httpx

from rentengine.runtime import Runtime
from tests.factories import Tenant
from tests.showings.helpers import (
    AVAILABILITY,
    Clock,
    availability,
    booked,
    create_unit,
    set_showing_hours,
    starts,
    z,
)


async def test_a_self_guided_unit_offers_half_hours_in_chicago_by_default(
    client: httpx.AsyncClient, tenant: Tenant, clock: Clock
) -> None:
    unit = await create_unit(client, tenant)
    answer = await availability(client, tenant, unit["id"])
    assert list(answer) == [
        "unitId",
        "showingMethod",
        "timezoneName",
        "timezoneAbbreviation",
        "unitStatus",
        "preferredShowingWindows",
        "availableShowingWindows",
    ]
    assert answer["unitId"] == unit["id"]
    assert answer["showingMethod"] == "Self Guided"
    assert answer["timezoneName"] == "America/Chicago"
    assert answer["timezoneAbbreviation"] == "CST"
    assert answer["unitStatus"] == "Available"
    assert answer["preferredShowingWindows"] == []
    windows = answer["availableShowingWindows"]
    # Now is 06:00 CST: the first window is 09:00 CST today; the last one starts before now + 14 days.
    assert windows[0] == {
        "start": "2031-03-05T15:00:00.000000Z",
        "end": "2031-03-05T15:30:00.000000Z",
        "invitedUserIdsArray": [],
        "showingMethodsAvailable": ["Self Guided"],
    }
    assert windows[-1]["start"] == "2031-03-18T22:30:00.000000Z"  # 17:30 CDT on the 14th day
    assert len(windows) == 18 * 14
    # Sunday 2031-03-09 is the switch to CDT: 09:00 local is then 14:00Z.
    assert "2031-03-08T15:00:00.000000Z" in starts(windows)
    assert "2031-03-09T14:00:00.000000Z" in starts(windows)
    assert "2031-03-09T15:00:00.000000Z" in starts(windows)
    assert "2031-03-09T23:00:00.000000Z" not in starts(windows)  # 18:00 CDT: closed


async def test_the_lead_hour_and_the_abbreviation_follow_the_clock(
    client: httpx.AsyncClient, tenant: Tenant, clock: Clock
) -> None:
    unit = await create_unit(client, tenant)
    clock.now = datetime(2031, 3, 10, 15, 10, tzinfo=UTC)  # Monday 10:10 CDT
    answer = await availability(client, tenant, unit["id"])
    assert answer["timezoneAbbreviation"] == "CDT"
    assert answer["availableShowingWindows"][0]["start"] == "2031-03-10T16:30:00.000000Z"  # 11:30 CDT


async def test_the_accounts_zone_and_hours_shape_the_windows(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock
) -> None:
    await set_showing_hours(runtime, tenant.account_id, "Europe/London", "10:00", "12:00")
    unit = await create_unit(client, tenant)
    answer = await availability(client, tenant, unit["id"])
    assert (answer["timezoneName"], answer["timezoneAbbreviation"]) == ("Europe/London", "GMT")
    windows = starts(answer["availableShowingWindows"])
    assert len(windows) == 4 * 14
    # It is 12:00 in London: today's hours are over; the 14th day's are all before now + 14 days.
    assert windows[:4] == [f"2031-03-06T{t}:00.000000Z" for t in ("10:00", "10:30", "11:00", "11:30")]
    assert windows[-4:] == [f"2031-03-19T{t}:00.000000Z" for t in ("10:00", "10:30", "11:00", "11:30")]


async def test_a_dst_change_in_another_zone(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock
) -> None:
    await set_showing_hours(runtime, tenant.account_id, "Europe/London", "09:00", "10:00")
    clock.now = datetime(2031, 3, 27, 12, tzinfo=UTC)
    unit = await create_unit(client, tenant)
    windows = starts((await availability(client, tenant, unit["id"]))["availableShowingWindows"])
    assert windows[:8] == [
        "2031-03-28T09:00:00.000000Z",
        "2031-03-28T09:30:00.000000Z",
        "2031-03-29T09:00:00.000000Z",
        "2031-03-29T09:30:00.000000Z",
        # Sunday 2031-03-30 and later: 09:00 BST is 08:00Z.
        "2031-03-30T08:00:00.000000Z",
        "2031-03-30T08:30:00.000000Z",
        "2031-03-31T08:00:00.000000Z",
        "2031-03-31T08:30:00.000000Z",
    ]


async def test_a_booked_slot_is_gone_and_its_neighbours_are_preferred(
    client: httpx.AsyncClient, tenant: Tenant, clock: Clock
) -> None:
    unit = await create_unit(client, tenant)
    other = await create_unit(client, tenant)
    await booked(client, tenant, unit["id"], "2031-03-06T16:00:00.000000Z")
    answer = await availability(client, tenant, unit["id"])
    windows = starts(answer["availableShowingWindows"])
    assert "2031-03-06T16:00:00.000000Z" not in windows
    assert len(windows) == 18 * 14 - 1
    assert starts(answer["preferredShowingWindows"]) == [
        "2031-03-06T15:30:00.000000Z",
        "2031-03-06T16:30:00.000000Z",
    ]
    assert all(w in answer["availableShowingWindows"] for w in answer["preferredShowingWindows"])
    # Another unit's windows are untouched.
    untouched = await availability(client, tenant, other["id"])
    assert len(untouched["availableShowingWindows"]) == 18 * 14
    assert untouched["preferredShowingWindows"] == []


async def test_a_booking_at_the_first_slot_of_the_day_prefers_only_the_next(
    client: httpx.AsyncClient, tenant: Tenant, clock: Clock
) -> None:
    unit = await create_unit(client, tenant)
    await booked(client, tenant, unit["id"], "2031-03-06T15:00:00.000000Z")
    answer = await availability(client, tenant, unit["id"])
    assert starts(answer["preferredShowingWindows"]) == ["2031-03-06T15:30:00.000000Z"]


async def test_units_that_cannot_be_shown_offer_no_windows(
    client: httpx.AsyncClient, tenant: Tenant, clock: Clock
) -> None:
    on_hold = await create_unit(client, tenant, status="On Hold")
    no_method = await create_unit(client, tenant, showing_method=None)
    incomplete = await create_unit(client, tenant, status="Incomplete")
    for unit in (on_hold, no_method, incomplete):
        answer = await availability(client, tenant, unit["id"])
        assert answer["availableShowingWindows"] == [], unit["status"]
        assert answer["preferredShowingWindows"] == []
        assert answer["unitStatus"] == unit["status"]
        assert answer["showingMethod"] == unit["showing_method"]
    assert (await availability(client, tenant, no_method["id"]))["showingMethod"] is None


async def test_accompanied_windows_invite_the_assigned_users(
    client: httpx.AsyncClient, tenant: Tenant, clock: Clock
) -> None:
    users = [str(uuid.uuid4()), str(uuid.uuid4())]
    unit = await create_unit(
        client,
        tenant,
        showing_method="Accompanied",
        structured_access_instructions={"assigned_user_ids": users, "meeting_location": "Front porch"},
    )
    answer = await availability(client, tenant, unit["id"])
    assert answer["showingMethod"] == "Accompanied"
    first = answer["availableShowingWindows"][0]
    assert first["invitedUserIdsArray"] == users
    assert first["showingMethodsAvailable"] == ["Accompanied"]


async def test_unit_id_is_required_and_must_be_an_integer(client: httpx.AsyncClient, tenant: Tenant) -> None:
    missing = await client.get(AVAILABILITY, headers=tenant.headers)
    assert missing.status_code == 400
    assert missing.json()["error"] == "Invalid query parameters"
    assert missing.json()["details"][0]["params"] == {"missingProperty": "unitId"}
    for bad in ("abc", "1.5", ""):
        response = await client.get(AVAILABILITY, params={"unitId": bad}, headers=tenant.headers)
        assert response.status_code == 400, bad
    extra = await client.get(AVAILABILITY, params={"unitId": 1, "unit_id": 1}, headers=tenant.headers)
    assert extra.status_code == 400
    assert extra.json()["details"][0]["keyword"] == "additionalProperties"


async def test_another_accounts_unit_and_unknown_ids_are_not_found(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock
) -> None:
    stranger = await clock.tenant(runtime)
    theirs = await create_unit(client, stranger)
    for unit_id in (theirs["id"], 2**31 - 1, 2**40, 0, -3):
        response = await client.get(AVAILABILITY, params={"unitId": unit_id}, headers=tenant.headers)
        assert response.status_code == 404, unit_id
        assert response.json() == {"error": "Not found"}
    assert (await client.get(AVAILABILITY, params={"unitId": theirs["id"]})).status_code == 401


async def test_a_unit_in_any_of_the_callers_accounts(
    client: httpx.AsyncClient, runtime: Runtime, clock: Clock
) -> None:
    tenant = await clock.tenant(runtime, accounts=2)
    [second] = tenant.other_account_ids
    unit = await create_unit(client, tenant, account=second)
    answer = await availability(client, tenant, unit["id"])
    assert answer["unitId"] == unit["id"]
    assert z(datetime(2031, 3, 5, 15, tzinfo=UTC)) == answer["availableShowingWindows"][0]["start"]
