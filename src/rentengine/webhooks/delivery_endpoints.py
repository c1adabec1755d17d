"""Redelivery and the test send (API.md §19.4)."""

import uuid
from typing import Any

from fastapi import APIRouter, Request

from rentengine.auth.dependencies import CurrentPrincipal
from rentengine.changes.types import Record
from rentengine.db.session import RequestSession
from rentengine.http import JSONBytes, json_ok
from rentengine.lockboxes.examples import LOCKBOX
from rentengine.openapi import json_example
from rentengine.runtime import runtime_of
from rentengine.showings.examples import SHOWING
from rentengine.webhooks import delivery_service as deliveries
from rentengine.webhooks.examples import DELIVERY
from rentengine.webhooks.metrics import WebhookMetrics
from rentengine.webhooks.schemas import DeliveryOut
from rentengine.webhooks.secrets import keyring_of
from rentengine.webhooks.sender import Sender
from rentengine.webhooks.worker import worker_name

router = APIRouter(tags=["Webhooks"])
# The test delivery's lease outlasts the one attempt; only a crash in between lets a worker send it.
TEST_LEASE_MARGIN_SECONDS = 60.0

REDELIVERED: dict[str, Any] = {
    **DELIVERY,
    "status": "pending",
    "attempts": [
        {**DELIVERY["attempts"][0], "attempt_number": n, "attempted_at": at}
        for n, at in enumerate(("2024-10-06T08:12:44.208511Z", "2024-10-06T08:12:57.611840Z"), start=1)
    ],
    "next_attempt_at": "2024-10-07T10:02:13.774105Z",
}
STILL_IN_FLIGHT: dict[str, Any] = {
    "error": "Delivery is still in flight",
    "details": [
        {
            "keyword": "status",
            "instancePath": "",
            "schemaPath": "#/status",
            "params": {"status": "retrying", "allowedValues": list(deliveries.REDELIVERABLE)},
            "message": "must be succeeded, dead_lettered or cancelled to be redelivered",
        }
    ],
}
TESTED: dict[str, Any] = {
    "id": "0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d",
    "webhook_id": DELIVERY["webhook_id"],
    "event_id": "msg_9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b",
    "table": "lockboxes",
    "type": "INSERT",
    "status": "succeeded",
    "payload": {"type": "INSERT", "table": "lockboxes", "record": LOCKBOX, "old_record": None},
    "attempts": [
        {
            "attempt_number": 1,
            "attempted_at": "2024-10-07T10:05:31.402117Z",
            "status_code": 200,
            "duration_ms": 94,
            "error": None,
            "response": '{"received": true}',
        }
    ],
    "next_attempt_at": None,
    "created_at": "2024-10-07T10:05:31.398552Z",
}


@router.post(
    "/webhook_deliveries/{id}/redeliver",
    response_model=DeliveryOut,
    response_class=JSONBytes,
    status_code=202,
    responses={
        202: json_example("Queued again: the delivery, now pending, with its earlier attempts", REDELIVERED),
        409: json_example(
            "The delivery is pending or retrying (or its subscription is disabled)", STILL_IN_FLIGHT
        ),
    },
)
async def redeliver_webhook_delivery(
    principal: CurrentPrincipal, session: RequestSession, id: uuid.UUID
) -> JSONBytes:
    """Sends a succeeded, dead-lettered or cancelled delivery again, with the same `webhook-id`."""
    return json_ok(await deliveries.redeliver(session, principal, id), status_code=202)


@router.post(
    "/webhooks/{id}/test",
    response_model=DeliveryOut,
    response_class=JSONBytes,
    responses={200: json_example("The test delivery after its one attempt", TESTED)},
)
async def test_webhook(request: Request, principal: CurrentPrincipal, id: uuid.UUID) -> JSONBytes:
    """Sends one example INSERT of the subscription's first table now, marked `webhook-test: true`."""
    return json_ok(await send_test_delivery(request, principal, id))


async def send_test_delivery(request: Request, principal: CurrentPrincipal, webhook_id: uuid.UUID) -> Record:
    """Three steps, each in its own transaction or none: no database lock waits on the receiver."""
    runtime = runtime_of(request)
    settings, owner = runtime.settings, f"test-send:{worker_name()}"
    lease = settings.webhook_timeout_seconds + TEST_LEASE_MARGIN_SECONDS
    document = request.app.openapi()
    async with runtime.db.transaction() as session:
        job = await deliveries.open_test_delivery(
            session,
            principal,
            webhook_id,
            lambda table: example_record(document, table),
            owner,
            lease,
            keyring_of(settings),
        )
    async with Sender.open(settings) as sender:
        result = await sender.attempt(job.target, job.event_id, job.payload, test=True)
    async with runtime.db.transaction() as session:
        status = await deliveries.record_outcome(session, job, result, owner, max_retries=0)
        wire = await deliveries.delivery_record(session, job.id)
    metrics: WebhookMetrics = request.app.state.webhook_metrics
    metrics.observe(result.outcome, status, None)
    return wire


# Tables whose records no operation returns (a booking answers `{"statusText": "success"}`).
RECORDS_WITHOUT_OPERATION: dict[str, Record] = {"showings": SHOWING}


def example_record(document: dict[str, Any], table: str) -> Record:
    """The table's example record in the OpenAPI document: from its GET list, else its POST answer."""
    if table in RECORDS_WITHOUT_OPERATION:
        return RECORDS_WITHOUT_OPERATION[table]
    item = document.get("paths", {}).get(f"/{table}", {})
    for method, status in (("get", "200"), ("post", "201"), ("post", "200")):
        response = item.get(method, {}).get("responses", {}).get(status, {})
        media = response.get("content", {}).get("application/json", {})
        values = [media["example"]] if "example" in media else []
        values += [example["value"] for example in media.get("examples", {}).values()]
        for value in values:
            record = _first_record(value)
            if record is not None:
                return record
    # A table without a documented operation yet: an empty record still exercises the receiver.
    return {}


def _first_record(value: Any) -> Record | None:
    """A record from a bare array, a `{data: [...]}` envelope or a single object."""
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        value = value["data"]
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, dict) and "id" in value else None
