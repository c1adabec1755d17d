"""Every operation of the API through `AsyncRentEngine`, with the bodies a real server accepts; the
operationIds it called are recorded, so a test can check that none was left out."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from rentengine_client import AsyncRentEngine
from rentengine_client.models import LeasingEventIn, UnitCreate
from tests.communications.factories import PHONE, call_body, message_body
from tests.factories import property_body, unit_body


class RecordingClient(AsyncRentEngine):
    """An `AsyncRentEngine` that remembers the operationId of every request it sends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.called: set[str] = set()

    async def _request(self, operation: str, **kwargs: Any) -> Any:
        self.called.add(operation)
        return await super()._request(operation, **kwargs)


def unit(account_id: uuid.UUID, **overrides: Any) -> UnitCreate:
    body: UnitCreate = unit_body(account_id, **overrides)  # type: ignore[assignment]
    return body


async def exercise(client: AsyncRentEngine, account_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Calls every operation once (and pages of each list): the server must answer each without error."""
    account = str(account_id)
    now = datetime.now(UTC)
    created = await client.units.upsert(unit(account_id, status="Available", showing_method="Self Guided"))
    assert created["status"] == "Available"
    updated = await client.units.upsert({"id": created["id"], "target_rental_rate": 2500})
    assert updated["target_rental_rate"] == "2500"
    assert [u["id"] for u in await client.units.list(unitIds=[created["id"]])] == [created["id"]]

    properties = await client.multifamily_properties.upsert(property_body(account_id))  # type: ignore[arg-type]
    assert [p["id"] for p in await client.multifamily_properties.list(id=properties[0]["id"])] == [
        properties[0]["id"]
    ]

    serial = f"SDK{uuid.uuid4().hex[:10].upper()}"
    lockboxes = await client.lockboxes.create(
        {"account_id": account, "lockbox_type": "Sentrilock", "serial_numbers": [serial]}
    )
    lockbox_id = lockboxes[0]["id"]
    assert [b["id"] for b in await client.lockboxes.list(serial_numbers=[serial])] == [lockbox_id]
    moved = await client.lockboxes.transfer_accounts({"lockbox_ids": [lockbox_id], "new_account_id": account})
    assert moved[0]["id"] == lockbox_id
    events = await client.lockbox_events.create(
        {"events": [{"lockbox_id": lockbox_id, "event_type": "Install", "unit_id": created["id"]}]}
    )
    assert [e["id"] for e in await client.lockbox_events.list(lockbox_ids=[lockbox_id])] == [events[0]["id"]]
    code = await client.lockboxes.generate_code({"lockbox_id": lockbox_id, "date": now.date().isoformat()})
    assert code["code"]

    availability = await client.showings.availability(unitId=created["id"])
    windows = availability["availability"]["availableShowingWindows"]
    assert windows, availability
    booked = await client.showings.create(
        {
            "unitId": created["id"],
            "plannedForTime": windows[0]["start"],
            "prospectData": {
                "firstName": "Jane",
                "lastName": "Doe",
                "email": f"jane-{uuid.uuid4().hex[:8]}@example.com",
                "phone": "5551234567",
                "creditScore": "700+",
                "income": "$9000-$10000/month",
                "questionAnswers": [],
                "prospectType": "Self",
            },
        }
    )
    assert booked
    prospects = [p async for p in client.prospects.iter(created_after=now - timedelta(minutes=5))]
    assert prospects
    prospect_id = prospects[-1]["id"]
    assign: LeasingEventIn = {
        "prospect_id": prospect_id,
        "event_type": "Assign to User",
        "context": {"assignedToUserIds": [str(user_id)]},
    }
    await client.leasing_events.create({"events": [assign]})
    leasing = await client.leasing_events.list(prospect_id=prospect_id)
    assert leasing["data"]
    assert leasing["page"]["page_number"] == 0
    assert isinstance(await client.rental_application_groups.list(), list)

    call = await client.calls.create(call_body(account_id))  # type: ignore[arg-type]
    assert [c["id"] async for c in client.calls.iter(account_ids=[account], phone_number=PHONE)] == [
        call["id"]
    ]
    message = await client.messages.create(message_body(account_id))  # type: ignore[arg-type]
    assert [
        m["id"] for m in (await client.messages.list(account_ids=[account], phone_number=PHONE))["data"]
    ] == [message["id"]]

    window = {"start": now - timedelta(days=7), "end": now + timedelta(days=1)}
    performance = await client.reporting.unit_leasing_performance(created["id"], **window)
    assert performance["unit_id"] == created["id"]
    for report in ("marketing_sources", "showings", "calls", "units", "applications"):
        page = await getattr(client.reporting, report)(account_ids=[account], **window)
        assert set(page) == {"data", "page"}
    listings = await client.listings.list(account)
    assert isinstance(listings, list)
    comps = await client.comps.list(latitude=30.2672, longitude=-97.7431, radius_miles=2)
    assert isinstance(comps, list)
    audit = await client.audit_log.list(table="units", record_id=str(created["id"]))
    assert [entry["action"] for entry in audit][:1] == ["INSERT"]

    hook = await client.webhooks.upsert(
        {
            "account_id": account,
            "url": "http://127.0.0.1:9/hooks",
            "tables": ["units"],
            "event_types": ["INSERT"],
        }
    )
    assert hook["signing_secret"].startswith("whsec_")
    assert [h["id"] for h in await client.webhooks.list(account_id=account)] == [hook["id"]]
    sent = await client.webhooks.test(hook["id"])
    deliveries = await client.webhooks.deliveries(hook["id"])
    assert sent["id"] in [d["id"] for d in deliveries]
    # One synchronous attempt at a closed port: failed, so the delivery is dead-lettered and can be re-sent.
    assert sent["status"] == "dead_lettered", sent
    again = await client.webhooks.redeliver(sent["id"])
    assert (again["id"], again["status"]) == (sent["id"], "pending")
    await client.webhooks.delete(hook["id"])
    assert await client.webhooks.list(account_id=account) == []
