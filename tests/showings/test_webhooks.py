"""A booking reaches a real webhook receiver: the prospect, the showing and the leasing event, each
in the representation its GET (or, for showings, the documented record) has; a reschedule is an
UPDATE of the showing. A refused booking sends nothing."""

from typing import Any

import httpx

from rentengine.runtime import Runtime
from tests.factories import make_tenant
from tests.prospects.hooks import subscribe
from tests.showings.helpers import availability, book, booked, create_unit, events_of, showings_of, starts
from tests.webhooks.receiver import Receiver, running_worker

TABLES = ["prospects", "showings", "leasing_events"]


async def test_a_booking_and_a_reschedule_reach_the_receiver(
    hooks: Runtime, hooks_api: httpx.AsyncClient, receiver: Receiver
) -> None:
    owner = await make_tenant(hooks)
    await subscribe(
        hooks_api,
        owner.headers,
        {"account_id": str(owner.account_id), "url": receiver.url(), "tables": TABLES},
    )
    unit = await create_unit(hooks_api, owner, prescreen_rules={"min_credit_score_band": "800+"})
    first, second = starts((await availability(hooks_api, owner, unit["id"]))["availableShowingWindows"])[:2]
    async with running_worker(hooks.settings, hooks.db):
        refused = await book(hooks_api, owner, unit["id"], first)
        assert refused.status_code == 400
        await booked(hooks_api, owner, unit["id"], first, prospect={"creditScore": "800+"})
        [showing] = await showings_of(hooks, unit["id"])
        await booked(
            hooks_api, owner, unit["id"], second, prospect={"creditScore": "800+"}, rescheduleEvent=showing.id
        )
        requests = await receiver.wait_for(5)
    payloads: list[dict[str, Any]] = [r.json() for r in requests]
    assert [(p["type"], p["table"]) for p in payloads] == [
        ("INSERT", "prospects"),
        ("INSERT", "showings"),
        ("INSERT", "leasing_events"),
        ("UPDATE", "showings"),
        ("INSERT", "leasing_events"),
    ]
    [prospect] = (await hooks_api.get("/prospects", headers=owner.headers)).json()
    assert payloads[0]["record"] == prospect
    events = await events_of(hooks_api, owner, prospect["id"])
    assert [payloads[2]["record"], payloads[4]["record"]] == events
    created, moved = payloads[1]["record"], payloads[3]["record"]
    assert created == {
        "id": showing.id,
        "account_id": str(owner.account_id),
        "unit_id": unit["id"],
        "prospect_id": prospect["id"],
        "planned_date_time": first,
        "showing_method": "Self Guided",
        "status": "Scheduled",
        "feedback": None,
        "cancellation_reason": None,
        "created_at": created["created_at"],
        "updated_at": created["created_at"],
    }
    assert payloads[3]["old_record"] == created
    assert moved == {**created, "planned_date_time": second, "updated_at": moved["updated_at"]}
    assert moved["updated_at"] >= created["updated_at"]
