"""A showing booked through the API, seen the way an integration sees it: its slot leaves the
availability, the prospect lists as `Showing Scheduled`, the leasing event lists under the prospect,
and a subscriber receives exactly three deliveries, each record equal to what the API shows."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from rentengine.runtime import Runtime
from tests.factories import make_tenant
from tests.hooks import subscribe
from tests.showings.helpers import TABLES, availability, booked, create_unit, events_of, starts
from tests.webhooks.receiver import Receiver, running_worker


async def test_a_booked_showing_everywhere_an_integration_looks(
    hooks: Runtime, hooks_api: httpx.AsyncClient, receiver: Receiver
) -> None:
    owner = await make_tenant(hooks)
    body = {"account_id": str(owner.account_id), "url": receiver.url(), "tables": list(TABLES)}
    await subscribe(hooks_api, owner.headers, body)
    unit = await create_unit(hooks_api, owner)
    before = await availability(hooks_api, owner, unit["id"])
    # Not the first window: by the time the booking arrives it may fall inside the lead hour.
    planned = starts(before["availableShowingWindows"])[1]
    since = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()

    async with running_worker(hooks.settings, hooks.db):
        await booked(hooks_api, owner, unit["id"], planned, prospect={"email": "ada@example.com"})
        deliveries = [request.json() for request in await receiver.wait_for(3)]

    after = starts((await availability(hooks_api, owner, unit["id"]))["availableShowingWindows"])
    gone = set(starts(before["availableShowingWindows"])) - set(after)
    assert planned in gone
    # Only the booked slot goes, but for one that the clock may have moved into the lead hour meanwhile.
    assert all(start < planned for start in gone - {planned}), gone
    assert set(after) <= set(starts(before["availableShowingWindows"]))
    listed = await hooks_api.get(
        "/prospects", params={"created_after": since, "limit": 100}, headers=owner.headers
    )
    [prospect] = listed.json()
    assert (prospect["email"], prospect["status"], prospect["unit_of_interest"]) == (
        "ada@example.com",
        "Showing Scheduled",
        unit["id"],
    )
    [event] = await events_of(hooks_api, owner, prospect["id"])
    assert (event["prospect"], event["event_type"], event["planned_date_time"]) == (
        prospect["id"],
        "Showing Scheduled",
        planned,
    )

    by_table: dict[str, dict[str, Any]] = {payload["table"]: payload for payload in deliveries}
    assert sorted(by_table) == sorted(TABLES)
    assert all(payload["type"] == "INSERT" and payload["old_record"] is None for payload in deliveries)
    assert by_table["prospects"]["record"] == prospect
    assert by_table["leasing_events"]["record"] == event
    showing = by_table["showings"]["record"]
    assert (showing["unit_id"], showing["prospect_id"], showing["planned_date_time"]) == (
        unit["id"],
        prospect["id"],
        planned,
    )
    assert showing["status"] == "Scheduled"
