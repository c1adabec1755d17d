"""`leasing_events` webhooks, received by a real local receiver: one INSERT per created event (bulk
included), each record exactly the event's GET representation."""

import httpx
import pytest

from rentengine.leasing.examples import ASSIGNED
from rentengine.prospects.examples import PROSPECT
from rentengine.runtime import Runtime
from rentengine.webhooks.delivery.testsend import as_test_record
from tests.factories import make_prospect_row, make_tenant
from tests.hooks import subscribe
from tests.leasing.factories import assign_body
from tests.webhooks.receiver import Receiver, running_worker


async def test_each_created_event_is_sent_with_its_get_representation(
    hooks: Runtime, hooks_api: httpx.AsyncClient, receiver: Receiver
) -> None:
    owner = await make_tenant(hooks)
    stranger = await make_tenant(hooks)
    subscription = {"account_id": str(owner.account_id), "url": receiver.url(), "tables": ["leasing_events"]}
    await subscribe(hooks_api, owner.headers, subscription)
    first = await make_prospect_row(hooks, owner.account_id, phone="5550003333")
    requested = await make_prospect_row(hooks, owner.account_id, phone="5550003333")
    theirs = await make_prospect_row(hooks, stranger.account_id, phone="5550003333")
    body = assign_body(requested, owner.user_id, source="Email", context={"applyActionInBulk": True})
    async with running_worker(hooks.settings, hooks.db):
        response = await hooks_api.post("/leasing_events", json=body, headers=owner.headers)
        assert response.status_code == 201, response.text
        stranger_body = assign_body(theirs, stranger.user_id)
        assert (
            await hooks_api.post("/leasing_events", json=stranger_body, headers=stranger.headers)
        ).status_code == 201
        requests = await receiver.wait_for(2)
    listed = (await hooks_api.get("/leasing_events", headers=owner.headers)).json()["data"]
    assert [e["prospect"] for e in listed] == [requested, first]
    assert listed[0] == response.json()
    received = sorted((r.json() for r in requests), key=lambda payload: payload["record"]["id"])
    assert received == [
        {"type": "INSERT", "table": "leasing_events", "record": event, "old_record": None} for event in listed
    ]
    assert len({r.headers["webhook-id"] for r in requests}) == 2


@pytest.mark.parametrize(("table", "example"), [("prospects", PROSPECT), ("leasing_events", ASSIGNED)])
async def test_the_test_send_posts_the_tables_example_record(
    hooks: Runtime, hooks_api: httpx.AsyncClient, receiver: Receiver, table: str, example: dict[str, object]
) -> None:
    owner = await make_tenant(hooks)
    body = {"account_id": str(owner.account_id), "url": receiver.url(), "tables": [table, "units"]}
    subscription = await subscribe(hooks_api, owner.headers, body)
    response = await hooks_api.post(f"/webhooks/{subscription['id']}/test", headers=owner.headers)
    assert response.status_code == 200, response.text
    [request] = receiver.requests
    record = as_test_record(example, owner.account_id)  # the example, made the owner's and a test
    expected = {"type": "INSERT", "table": table, "record": record, "old_record": None}
    assert request.json() == expected == response.json()["payload"]
    assert request.headers["webhook-test"] == "true"
