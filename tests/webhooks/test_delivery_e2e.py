"""Deliveries end to end on both databases: API writes -> outbox -> worker -> a real local receiver.

Each backend gets a database of its own for this module, so the workers started here never see
another module's deliveries; after each test whatever is still due is cancelled.
"""

import re
import time
import uuid
from collections.abc import AsyncIterator
from itertools import pairwise
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from rentengine.app import create_app
from rentengine.changes.seam import record_changes
from rentengine.changes.types import Actor, Change
from rentengine.runtime import Runtime
from rentengine.webhooks.delivery.testsend import as_test_record
from tests.conftest import make_settings
from tests.factories import Tenant, make_tenant, property_body
from tests.webhooks.receiver import (
    Received,
    Receiver,
    Reply,
    cancel_open_deliveries,
    fresh_database,
    running_worker,
    settings_with,
    wait_until,
)

EVENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
RECEIVER_KEY = "receiver-shared-key-7d41"
TABLE = "multifamily_properties"


@pytest.fixture(scope="module")
async def hooks(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Runtime]:
    async with fresh_database(backend, tmp_path_factory.mktemp("hooks")) as url:
        runtime = Runtime.build(make_settings(url, webhook_allow_private_targets=True))
        try:
            yield runtime
        finally:
            await runtime.db.dispose()


@pytest.fixture(scope="module")
async def api(hooks: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(hooks.settings, hooks))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/public/v1") as client:
        yield client


@pytest.fixture(autouse=True)
async def _nothing_left_due(hooks: Runtime) -> AsyncIterator[None]:
    yield
    await cancel_open_deliveries(hooks.db)


async def subscribe(
    api: httpx.AsyncClient, owner: Tenant, url: str, tables: list[str] | None = None, **fields: Any
) -> dict[str, Any]:
    body = {
        "account_id": str(owner.account_id),
        "url": url,
        "tables": tables or [TABLE],
        "event_types": ["INSERT", "UPDATE", "DELETE"],
        "api_key": RECEIVER_KEY,
        **fields,
    }
    response = await api.post("/webhooks", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def create_property(api: httpx.AsyncClient, owner: Tenant, **fields: Any) -> dict[str, Any]:
    response = await api.post(
        "/multifamily_properties", json=property_body(owner.account_id, **fields), headers=owner.headers
    )
    assert response.status_code == 200, response.text
    [record] = response.json()
    return dict(record)


async def deliveries(api: httpx.AsyncClient, owner: Tenant, webhook_id: str) -> list[dict[str, Any]]:
    response = await api.get(f"/webhooks/{webhook_id}/deliveries", headers=owner.headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def settle(
    api: httpx.AsyncClient, owner: Tenant, webhook_id: str, statuses: list[str]
) -> list[dict[str, Any]]:
    """Waits until the subscription's deliveries have exactly these statuses, oldest first."""
    found: list[dict[str, Any]] = []

    async def reached() -> bool:
        nonlocal found
        found = await deliveries(api, owner, webhook_id)
        return [d["status"] for d in found] == statuses

    await wait_until(reached, f"deliveries {statuses}")
    return found


def assert_signed(request: Received, subscription: dict[str, Any]) -> None:
    """What every delivery request carries (API.md §19.3), checked the way a receiver would."""
    assert request.method == "POST"
    assert request.path == "/hooks"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-api-key"] == RECEIVER_KEY
    assert EVENT_ID.match(request.headers["webhook-id"])
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
    Webhook(subscription["signing_secret"]).verify(request.body, request.headers)


async def test_insert_update_and_delete_arrive_with_the_exact_payload_and_headers(
    api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    subscription = await subscribe(api, owner, receiver.url())
    async with running_worker(hooks.settings, hooks.db):
        created = await create_property(api, owner)
        response = await api.post(
            "/multifamily_properties",
            json={"id": created["id"], "unit_count": 80, "account_id": str(owner.account_id)},
            headers=owner.headers,
        )
        assert response.status_code == 200, response.text
        [updated] = response.json()
        # No endpoint removes a row (soft deletes are UPDATEs): a platform delete goes through the seam.
        async with hooks.db.transaction() as session:
            change = Change.delete(TABLE, owner.account_id, updated)
            await record_changes(session, Actor(user_id=None), [change])
        requests = await receiver.wait_for(3)
        logged = await settle(api, owner, subscription["id"], ["succeeded"] * 3)

    listed = await api.get("/multifamily_properties", params={"id": created["id"]}, headers=owner.headers)
    assert listed.json() == [updated]  # the record is exactly the GET representation
    assert [r.json() for r in requests] == [
        {"type": "INSERT", "table": TABLE, "record": created, "old_record": None},
        {"type": "UPDATE", "table": TABLE, "record": updated, "old_record": created},
        {"type": "DELETE", "table": TABLE, "record": None, "old_record": updated},
    ]
    for request in requests:
        assert list(request.json()) == ["type", "table", "record", "old_record"]
        assert_signed(request, subscription)
    assert len({r.headers["webhook-id"] for r in requests}) == 3
    assert [d["event_id"] for d in logged] == [r.headers["webhook-id"] for r in requests]
    assert [[a["status_code"] for a in d["attempts"]] for d in logged] == [[200]] * 3


async def test_retry_after_is_honoured_until_the_receiver_accepts(
    api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    subscription = await subscribe(api, owner, receiver.url())
    busy = Reply(503, {"Retry-After": "1"}, b"busy")
    receiver.reply_with(busy, busy)
    async with running_worker(hooks.settings, hooks.db):
        await create_property(api, owner)
        requests = await receiver.wait_for(3)
        [delivery] = await settle(api, owner, subscription["id"], ["succeeded"])

    assert len({r.headers["webhook-id"] for r in requests}) == 1
    assert len({r.body for r in requests}) == 1
    assert all(later.at - earlier.at >= 0.9 for earlier, later in pairwise(requests))
    stamps = [int(r.headers["webhook-timestamp"]) for r in requests]
    assert stamps[2] > stamps[0]  # each attempt is signed with its own timestamp
    for request in requests:
        assert_signed(request, subscription)
    attempts = delivery["attempts"]
    assert [(a["attempt_number"], a["status_code"]) for a in attempts] == [(1, 503), (2, 503), (3, 200)]
    assert [a["response"] for a in attempts] == ["busy", "busy", '{"received": true}']
    assert delivery["next_attempt_at"] is None


async def test_gone_disables_the_subscription_and_cancels_its_open_deliveries(
    api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    subscription = await subscribe(api, owner, receiver.url())
    for _ in range(3):  # committed before any worker runs: all three wait their turn
        await create_property(api, owner)
    receiver.reply_with(Reply(410, body=b""))
    async with running_worker(hooks.settings, hooks.db):
        logged = await settle(api, owner, subscription["id"], ["dead_lettered", "cancelled", "cancelled"])

    assert len(receiver.requests) == 1
    assert [len(d["attempts"]) for d in logged] == [1, 0, 0]
    listed = (await api.get("/webhooks", headers=owner.headers)).json()
    assert [(s["id"], s["enabled"]) for s in listed] == [(subscription["id"], False)]
    await create_property(api, owner)  # a disabled subscription gets no new deliveries
    assert len(await deliveries(api, owner, subscription["id"])) == 3
    # Disabled by the receiver's answer, audited like an owner's disable: by no user, naming the request.
    params = {"table": "webhooks", "record_id": subscription["id"]}
    audit = (await api.get("/audit_log", params=params, headers=owner.headers)).json()
    [gone] = [entry for entry in audit if entry["action"] == "UPDATE"]
    assert (gone["user_id"], gone["api_key_id"]) == (None, None)
    assert (gone["request_method"], gone["request_path"]) == ("POST", receiver.url())
    assert gone["changes"]["enabled"] == [True, False]


async def test_exhausted_retries_dead_letter_and_redelivery_sends_the_same_event_again(
    api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    settings = settings_with(hooks.settings, webhook_max_retries=1)
    subscription = await subscribe(api, owner, receiver.url())
    receiver.default = Reply(500, {"Retry-After": "1"})
    async with running_worker(settings, hooks.db):
        await create_property(api, owner)
        [dead] = await settle(api, owner, subscription["id"], ["dead_lettered"])
    assert [a["status_code"] for a in dead["attempts"]] == [500, 500]  # the first try and one retry
    assert dead["next_attempt_at"] is None

    receiver.default = Reply(200)
    response = await api.post(f"/webhook_deliveries/{dead['id']}/redeliver", headers=owner.headers)
    assert response.status_code == 202, response.text
    queued = response.json()
    assert (queued["status"], queued["event_id"], queued["payload"]) == (
        "pending",
        dead["event_id"],
        dead["payload"],
    )
    assert queued["next_attempt_at"] is not None
    again = await api.post(f"/webhook_deliveries/{dead['id']}/redeliver", headers=owner.headers)
    assert again.status_code == 409
    assert again.json()["error"] == "Delivery is still in flight"
    assert again.json()["details"][0]["params"]["status"] == "pending"

    async with running_worker(settings, hooks.db):
        requests = await receiver.wait_for(3)
        [done] = await settle(api, owner, subscription["id"], ["succeeded"])
    assert {r.headers["webhook-id"] for r in requests} == {dead["event_id"]}
    assert requests[2].body == requests[0].body
    assert [(a["attempt_number"], a["status_code"]) for a in done["attempts"]] == [
        (1, 500),
        (2, 500),
        (1, 200),
    ]


async def test_redelivery_is_scoped_to_the_callers_accounts(
    api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    subscription = await subscribe(api, owner, receiver.url())
    sent = (await api.post(f"/webhooks/{subscription['id']}/test", headers=owner.headers)).json()
    stranger = await make_tenant(hooks)
    for path in (f"/webhook_deliveries/{sent['id']}/redeliver", f"/webhooks/{subscription['id']}/test"):
        response = await api.post(path, headers=stranger.headers)
        assert (response.status_code, response.json()) == (404, {"error": "Not found"})
    unknown = await api.post(f"/webhook_deliveries/{uuid.uuid4()}/redeliver", headers=owner.headers)
    assert unknown.status_code == 404
    malformed = await api.post("/webhook_deliveries/not-a-uuid/redeliver", headers=owner.headers)
    assert malformed.status_code == 400
    assert malformed.json()["details"][0]["instancePath"] == "/id"
    anonymous = await api.post(f"/webhook_deliveries/{sent['id']}/redeliver")
    assert anonymous.status_code == 401
    assert len(receiver.requests) == 1  # only the owner's test send


async def test_a_disabled_subscription_receives_nothing(
    api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    off = await subscribe(api, owner, receiver.url("/off"), enabled=False)
    on = await subscribe(api, owner, receiver.url("/on"))
    async with running_worker(hooks.settings, hooks.db):
        await create_property(api, owner)
        await receiver.wait_for(1, path="/on")
        await settle(api, owner, on["id"], ["succeeded"])
    assert receiver.to("/off") == []
    assert await deliveries(api, owner, off["id"]) == []


async def test_one_failing_delivery_does_not_hold_back_the_later_ones(
    api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    subscription = await subscribe(api, owner, receiver.url())
    first, second, third = [(await create_property(api, owner))["id"] for _ in range(3)]
    failed: list[str] = []

    def answer(request: Received) -> Reply:
        record_id = request.json()["record"]["id"]
        if record_id == first and not failed:
            failed.append(record_id)
            return Reply(503, {"Retry-After": "1"})
        return Reply(200)

    receiver.respond = answer
    async with running_worker(hooks.settings, hooks.db):
        requests = await receiver.wait_for(4)
        await settle(api, owner, subscription["id"], ["succeeded"] * 3)
    # Commit order, and the rescheduled first event arrives after the later ones.
    assert [r.json()["record"]["id"] for r in requests] == [first, second, third, first]


async def test_the_target_is_checked_again_before_each_attempt(
    api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    subscription = await subscribe(api, owner, receiver.url())  # accepted: private targets allowed here
    strict = settings_with(hooks.settings, webhook_allow_private_targets=False)
    async with running_worker(strict, hooks.db):
        await create_property(api, owner)
        [delivery] = await settle(api, owner, subscription["id"], ["retrying"])
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] is None
    assert attempt["error"] == "target refused: the target is not allowed"
    assert receiver.requests == []


async def test_a_slow_receiver_times_out_and_a_redirect_is_not_followed(
    api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    settings = settings_with(hooks.settings, webhook_timeout_seconds=0.5)
    subscription = await subscribe(api, owner, receiver.url())
    receiver.reply_with(Reply(delay=3), Reply(302, {"Location": receiver.url("/elsewhere")}))
    async with running_worker(settings, hooks.db):
        await create_property(api, owner)
        await create_property(api, owner)
        slow, moved = await settle(api, owner, subscription["id"], ["retrying", "retrying"])
    [timed_out], [redirected] = slow["attempts"], moved["attempts"]
    assert (timed_out["status_code"], timed_out["error"]) == (None, "timed out after 0.5 s")
    assert 450 <= timed_out["duration_ms"] < 3000
    assert redirected["status_code"] == 302
    assert redirected["error"] == f"redirect to {receiver.url('/elsewhere')} not followed"
    assert receiver.to("/elsewhere") == []


async def test_the_attempt_log_keeps_only_the_start_of_the_answer(
    api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    settings = settings_with(hooks.settings, webhook_response_log_bytes=16)
    subscription = await subscribe(api, owner, receiver.url())
    # NUL cannot be stored in PostgreSQL text; "é" is two bytes, cut in half at byte 16.
    receiver.reply_with(Reply(500, body=b"\x00error:" + "é".encode() * 10_000))
    async with running_worker(settings, hooks.db):
        await create_property(api, owner)
        [delivery] = await settle(api, owner, subscription["id"], ["retrying"])
    [attempt] = delivery["attempts"]
    assert attempt["response"] == "\ufffderror:éééé\ufffd"


async def test_test_send_posts_the_example_record_once_and_marks_it(
    api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    subscription = await subscribe(api, owner, receiver.url(), tables=["lockboxes", "units"])
    response = await api.post(f"/webhooks/{subscription['id']}/test", headers=owner.headers)
    assert response.status_code == 200, response.text
    delivery = response.json()
    document = (await api.get("http://testserver/openapi.json")).json()
    example = document["paths"]["/lockboxes"]["get"]["responses"]["200"]["content"]["application/json"]
    record = as_test_record(example["example"][0], owner.account_id)
    expected = {"type": "INSERT", "table": "lockboxes", "record": record, "old_record": None}
    [request] = receiver.requests  # the attempt was made before the response
    assert request.json() == expected == delivery["payload"]
    assert request.headers["webhook-test"] == "true"
    assert_signed(request, subscription)
    assert (delivery["status"], delivery["table"], delivery["type"]) == ("succeeded", "lockboxes", "INSERT")
    assert delivery["event_id"] == request.headers["webhook-id"]
    assert [a["status_code"] for a in delivery["attempts"]] == [200]

    receiver.reply_with(Reply(500, {"Retry-After": "1"}))
    failed = (await api.post(f"/webhooks/{subscription['id']}/test", headers=owner.headers)).json()
    assert (failed["status"], failed["next_attempt_at"]) == ("dead_lettered", None)  # never retried
    assert [a["status_code"] for a in failed["attempts"]] == [500]
    logged = await deliveries(api, owner, subscription["id"])
    assert [(d["id"], d["status"]) for d in logged] == [
        (delivery["id"], "succeeded"),
        (failed["id"], "dead_lettered"),
    ]


async def test_metrics_count_attempts_and_outcomes_of_the_in_process_worker(
    hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    app = create_app(hooks.settings, hooks, worker=True)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver/api/public/v1") as client,
    ):
        receiver.reply_with(Reply(503, {"Retry-After": "1"}))
        subscription = await subscribe(client, owner, receiver.url())
        await create_property(client, owner)
        await settle(client, owner, subscription["id"], ["succeeded"])
        text = ""

        async def counted() -> bool:
            nonlocal text
            text = (await client.get("http://testserver/metrics")).text  # no token needed
            return "rentengine_webhook_delivery_latency_seconds_count 1.0" in text

        await wait_until(counted, "the success in /metrics")
        document = (await client.get("http://testserver/openapi.json")).json()
    assert 'rentengine_webhook_attempts_total{outcome="http_error"} 1.0' in text
    assert 'rentengine_webhook_attempts_total{outcome="succeeded"} 1.0' in text
    assert "rentengine_webhook_deliveries_succeeded_total 1.0" in text
    assert "rentengine_webhook_deliveries_dead_lettered_total 0.0" in text
    assert "/metrics" not in document["paths"]
