"""POST /leasing_events (API.md §11.1): the created object, validation, tenancy and bulk assignment."""

import re
import uuid
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import httpx
import pytest

from rentengine.leasing.examples import ASSIGNED, REFUSALS
from rentengine.runtime import Runtime
from tests.factories import Tenant, make_prospect_row, make_tenant
from tests.leasing.factories import assign_body, count_events, make_member

PATH = "/leasing_events"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
FIELDS = [
    "id",
    "prospect",
    "event_type",
    "source",
    "notes",
    "context",
    "planned_date_time",
    "created_at",
    "next_follow_up",
    "created_by",
]


async def post(client: httpx.AsyncClient, tenant: Tenant, body: Any) -> httpx.Response:
    return await client.post(PATH, json=body, headers=tenant.headers)


async def created(client: httpx.AsyncClient, tenant: Tenant, body: Any) -> dict[str, Any]:
    response = await post(client, tenant, body)
    assert response.status_code == 201, response.text
    record: dict[str, Any] = response.json()
    return record


async def listed(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(PATH, params={"limit": 100, **params}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def test_an_assignment_comes_back_as_the_documented_object(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    prospect = await make_prospect_row(runtime, tenant.account_id)
    agent = await make_member(runtime, tenant.account_id)
    body = assign_body(prospect, agent, source="Phone Call", notes="Handing over to Sam")
    record = await created(client, tenant, body)
    assert list(record) == FIELDS
    assert list(ASSIGNED) == FIELDS  # the documented example (and webhook test record) has the same shape
    assert isinstance(record["id"], int)
    assert not isinstance(record["id"], bool)
    assert record["prospect"] == prospect
    assert isinstance(record["prospect"], int)
    assert (record["event_type"], record["source"], record["notes"]) == (
        "Assign to User",
        "Phone Call",
        "Handing over to Sam",
    )
    assert record["context"] == {"assignedToUserIds": [str(agent)], "applyActionInBulk": False}
    assert (record["planned_date_time"], record["next_follow_up"]) == (None, None)
    assert record["created_by"] == str(tenant.user_id)
    assert TIMESTAMP.match(record["created_at"])
    assert await listed(client, tenant) == [record]


async def test_optional_fields_default_to_null(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    prospect = await make_prospect_row(runtime, tenant.account_id)
    record = await created(client, tenant, assign_body(prospect, tenant.user_id, source=None, notes=None))
    assert (record["source"], record["notes"]) == (None, None)
    record = await created(client, tenant, assign_body(prospect, tenant.user_id))
    assert (record["source"], record["notes"]) == (None, None)
    assert record["context"]["assignedToUserIds"] == [str(tenant.user_id)]


async def test_every_source_is_accepted(client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant) -> None:
    prospect = await make_prospect_row(runtime, tenant.account_id)
    sources = ["Phone Call", "Text Message", "Email", "Facebook Message", "WhatsApp", "Other", "Automation"]
    for source in sources:
        record = await created(client, tenant, assign_body(prospect, tenant.user_id, source=source))
        assert record["source"] == source
    assert [e["source"] for e in await listed(client, tenant)] == sources


async def test_several_members_of_the_account_can_be_assigned(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    prospect = await make_prospect_row(runtime, tenant.account_id)
    agents = [await make_member(runtime, tenant.account_id) for _ in range(3)]
    record = await created(client, tenant, assign_body(prospect, *agents, tenant.user_id))
    assert record["context"]["assignedToUserIds"] == [str(a) for a in [*agents, tenant.user_id]]


def bad_bodies(prospect: int, user: uuid.UUID) -> list[Any]:
    good = assign_body(prospect, user)
    event = good["events"][0]

    def events(*items: Any) -> dict[str, Any]:
        return {"events": list(items)}

    def drop(key: str) -> dict[str, Any]:
        return events({k: v for k, v in event.items() if k != key})

    return [
        events(event, event),
        events(),
        {"events": event},
        {},
        [good],
        {**good, "account_id": str(uuid.uuid4())},
        events({**event, "id": 1}),
        events({**event, "prospect": prospect}),
        drop("prospect_id"),
        drop("event_type"),
        drop("context"),
        events({**event, "prospect_id": str(prospect)}),
        events({**event, "prospect_id": None}),
        events({**event, "prospect_id": 1.5}),
        events({**event, "event_type": "Showing Scheduled"}),
        events({**event, "event_type": "assign to user"}),
        events({**event, "event_type": None}),
        events({**event, "source": "SMS"}),
        events({**event, "source": 1}),
        events({**event, "notes": 5}),
        events({**event, "notes": "x" * 10_001}),
        events({**event, "context": None}),
        events({**event, "context": {}}),
        events({**event, "context": {"assignedToUserIds": []}}),
        events({**event, "context": {"assignedToUserIds": ["not-a-uuid"]}}),
        events({**event, "context": {"assignedToUserIds": str(user)}}),
        events({**event, "context": {"assignedToUserIds": [str(user), str(user)]}}),
        events({**event, "context": {"assignedToUserIds": [str(user)], "applyActionInBulk": "true"}}),
        events({**event, "context": {"assignedToUserIds": [str(user)], "applyActionInBulk": None}}),
        events({**event, "context": {"assignedToUserIds": [str(user)], "assignedToUserId": str(user)}}),
    ]


async def test_each_invalid_body_is_a_400_and_writes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    prospect = await make_prospect_row(runtime, tenant.account_id)
    for body in bad_bodies(prospect, tenant.user_id):
        response = await post(client, tenant, body)
        assert response.status_code == 400, (body, response.text)
        error = response.json()
        assert error["error"] == "Invalid request parameters"
        assert error["details"], body
        assert all(
            {"keyword", "instancePath", "schemaPath", "params", "message"} <= set(d) for d in error["details"]
        )
    assert await count_events(runtime, tenant.account_id) == 0


async def test_details_name_the_failing_field(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    prospect = await make_prospect_row(runtime, tenant.account_id)
    [event] = assign_body(prospect, tenant.user_id)["events"]

    async def only_detail(body: Any) -> tuple[str, str, str]:
        response = await post(client, tenant, body)
        assert response.status_code == 400
        [item] = response.json()["details"]
        return item["keyword"], item["instancePath"], item["message"]

    assert await only_detail({"events": [event, event]}) == (
        "maxItems",
        "/events",
        "must NOT have more than 1 items",
    )
    # The documented refusal is the real one.
    response = await post(client, tenant, {"events": [event, event]})
    assert response.json() == REFUSALS["more_than_one_event"]["value"]
    assert await only_detail({"events": []}) == ("minItems", "/events", "must NOT have fewer than 1 items")
    assert (await only_detail({"events": [{**event, "event_type": "Showing Complete"}]}))[:2] == (
        "enum",
        "/events/0/event_type",
    )
    assert (await only_detail({"events": [{**event, "source": "SMS"}]}))[:2] == ("enum", "/events/0/source")
    assert (await only_detail({"events": [{**event, "context": {"assignedToUserIds": []}}]}))[:2] == (
        "minItems",
        "/events/0/context/assignedToUserIds",
    )
    assert await only_detail({"events": [{**event, "context": {}}]}) == (
        "required",
        "/events/0/context",
        "must have required property 'assignedToUserIds'",
    )
    assert await only_detail({"events": [{**event, "extra": 1}]}) == (
        "additionalProperties",
        "/events/0",
        "must NOT have additional properties",
    )


async def test_an_unknown_or_invisible_prospect_is_404(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    stranger = await make_tenant(runtime)
    theirs = await make_prospect_row(runtime, stranger.account_id)
    for prospect_id in (theirs, 2_147_483_647, 2**40, 0, -1):
        response = await post(client, tenant, assign_body(prospect_id, tenant.user_id))
        assert response.status_code == 404, prospect_id
        assert response.json() == {"error": "Not found"}
    # Even naming only the prospect's own members does not reach another account's prospect.
    response = await post(client, tenant, assign_body(theirs, stranger.user_id))
    assert response.status_code == 404
    assert await count_events(runtime, stranger.account_id) == 0


async def test_assignees_must_be_members_of_the_prospects_account(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    both = await make_tenant(runtime, accounts=2)
    stranger = await make_tenant(runtime)
    prospect = await make_prospect_row(runtime, both.account_id)
    second_account_only = await make_member(runtime, both.other_account_ids[0])
    unknown = uuid.uuid4()
    body = assign_body(prospect, both.user_id, stranger.user_id, second_account_only, unknown)
    response = await post(client, both, body)
    assert response.status_code == 400
    error = response.json()
    assert error["error"] == "Invalid request parameters"
    assert [(d["keyword"], d["instancePath"], d["params"]["userId"]) for d in error["details"]] == [
        ("membership", "/events/0/context/assignedToUserIds/1", str(stranger.user_id)),
        ("membership", "/events/0/context/assignedToUserIds/2", str(second_account_only)),
        ("membership", "/events/0/context/assignedToUserIds/3", str(unknown)),
    ]
    assert error["details"][0]["message"] == "must be a member of the prospect's account"
    assert await count_events(runtime, both.account_id) == 0


async def test_bulk_assigns_every_prospect_of_the_account_with_the_same_phone(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    both = await make_tenant(runtime, accounts=2)
    phone = "5550001111"
    first = await make_prospect_row(runtime, both.account_id, phone=phone)
    other_number = await make_prospect_row(runtime, both.account_id, phone="5550002222")
    no_number = await make_prospect_row(runtime, both.account_id, phone=None)
    requested = await make_prospect_row(runtime, both.account_id, phone=phone)
    in_other_account = await make_prospect_row(runtime, both.other_account_ids[0], phone=phone)
    last = await make_prospect_row(runtime, both.account_id, phone=phone)
    context = {"applyActionInBulk": True}
    record = await created(client, both, assign_body(requested, both.user_id, notes="bulk", context=context))
    assert record["prospect"] == requested

    events = await listed(client, both)
    # The requested prospect's event first, then the others with its number, oldest prospect first.
    assert [e["prospect"] for e in events] == [requested, first, last]
    assert events[0] == record
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    for event in events:
        assert {k: v for k, v in event.items() if k not in ("id", "prospect", "created_at")} == {
            k: v for k, v in record.items() if k not in ("id", "prospect", "created_at")
        }
    # One moment, each event a microsecond after the one before: an account's events never share
    # a creation time, so that a date range of its list is a range of positions.
    times = [datetime.fromisoformat(e["created_at"]) for e in events]
    assert [later - earlier for earlier, later in pairwise(times)] == [timedelta(microseconds=1)] * 2
    assert record["context"] == {"assignedToUserIds": [str(both.user_id)], "applyActionInBulk": True}
    untouched = (other_number, no_number, in_other_account)
    for prospect in untouched:
        assert await listed(client, both, prospect_id=prospect) == []
    assert await count_events(runtime, both.account_id) == 3
    response = await client.get("/audit_log", params={"table": "leasing_events"}, headers=both.headers)
    entries = response.json()
    assert [(e["action"], e["record_id"]) for e in entries] == [("INSERT", str(e["id"])) for e in events]
    assert all(e["api_key_id"] == str(both.key_id) for e in entries)


async def test_without_bulk_only_the_requested_prospect_is_assigned(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    first = await make_prospect_row(runtime, tenant.account_id)
    second = await make_prospect_row(runtime, tenant.account_id)
    for context in ({}, {"applyActionInBulk": False}):
        await created(client, tenant, assign_body(second, tenant.user_id, context=context))
    assert [e["prospect"] for e in await listed(client, tenant)] == [second, second]
    assert await listed(client, tenant, prospect_id=first) == []


async def test_bulk_for_a_prospect_without_a_phone_assigns_only_that_prospect(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    await make_prospect_row(runtime, tenant.account_id, phone=None)
    alone = await make_prospect_row(runtime, tenant.account_id, phone=None)
    body = assign_body(alone, tenant.user_id, context={"applyActionInBulk": True})
    await created(client, tenant, body)
    assert [e["prospect"] for e in await listed(client, tenant)] == [alone]


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_other_methods_are_405(client: httpx.AsyncClient, tenant: Tenant, method: str) -> None:
    response = await client.request(method, PATH, headers=tenant.headers)
    assert response.status_code == 405
    assert response.json() == {"error": "Method not allowed"}
