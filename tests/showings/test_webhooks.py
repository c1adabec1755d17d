"""A booking reaches a real webhook receiver: the prospect, the showing and the leasing event, each
in the representation its GET (or, for showings, the documented record) has; a reschedule is an
UPDATE of the showing. A refused booking sends nothing."""

from typing import Any

import httpx

from rentengine.runtime import Runtime
from rentengine.showings.examples import SHOWING
from rentengine.webhooks.delivery.testsend import as_test_record
from tests.factories import make_tenant
from tests.hooks import subscribe
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
    # Not the first window: by the time the booking arrives it may fall inside the lead hour.
    first, second = starts((await availability(hooks_api, owner, unit["id"]))["availableShowingWindows"])[1:3]
    async with running_worker(hooks.settings, hooks.db):
        refused = await book(hooks_api, owner, unit["id"], first)
        assert refused.status_code == 400
        await booked(hooks_api, owner, unit["id"], first, prospect={"creditScore": "800+"})
        [showing] = await showings_of(hooks, unit["id"])
        await booked(
            hooks_api, owner, unit["id"], second, prospect={"creditScore": "800+"}, rescheduleEvent=showing.id
        )
        requests = await receiver.wait_for(5)
    # Receivers must not rely on the order of deliveries: each is found by its type and table.
    sent: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for request in requests:
        payload = request.json()
        sent.setdefault((payload["type"], payload["table"]), []).append(payload)
    [prospect_insert] = sent.pop(("INSERT", "prospects"))
    [showing_insert] = sent.pop(("INSERT", "showings"))
    [showing_update] = sent.pop(("UPDATE", "showings"))
    event_inserts = sent.pop(("INSERT", "leasing_events"))
    assert sent == {}
    [prospect] = (await hooks_api.get("/prospects", headers=owner.headers)).json()
    assert prospect_insert == {"type": "INSERT", "table": "prospects", "record": prospect, "old_record": None}
    events = await events_of(hooks_api, owner, prospect["id"])
    assert sorted((p["record"] for p in event_inserts), key=lambda e: e["id"]) == events
    assert all(p["old_record"] is None for p in event_inserts)
    created, moved = showing_insert["record"], showing_update["record"]
    assert showing_insert["old_record"] is None
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
    assert showing_update["old_record"] == created
    assert moved == {**created, "planned_date_time": second, "updated_at": moved["updated_at"]}
    assert moved["updated_at"] >= created["updated_at"]


async def test_the_test_send_of_a_showings_subscription(
    hooks: Runtime, hooks_api: httpx.AsyncClient, receiver: Receiver
) -> None:
    owner = await make_tenant(hooks)
    body = {"account_id": str(owner.account_id), "url": receiver.url(), "tables": ["showings", "prospects"]}
    created = await hooks_api.post(
        "/webhooks", json={"event_types": ["INSERT"], **body}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    response = await hooks_api.post(f"/webhooks/{created.json()['id']}/test", headers=owner.headers)
    assert response.status_code == 200, response.text
    delivery = response.json()
    assert (delivery["status"], delivery["table"], delivery["type"]) == ("succeeded", "showings", "INSERT")
    [request] = receiver.requests
    payload = request.json()
    assert payload == delivery["payload"]
    assert (payload["type"], payload["table"], payload["old_record"]) == ("INSERT", "showings", None)
    # No operation returns a showing (a booking answers `{"statusText": "success"}`): the test
    # send takes the documented showing record.
    assert payload["record"] == as_test_record(SHOWING, owner.account_id)
