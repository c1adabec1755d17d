"""Redelivery and the test send (API.md §19.4)."""

import uuid
from typing import Any

from fastapi import APIRouter, Request

from rentengine.auth.dependencies import CurrentPrincipal
from rentengine.db.session import RequestSession
from rentengine.http import JSONBytes, json_ok
from rentengine.lockboxes.examples import LOCKBOX
from rentengine.openapi import json_example
from rentengine.runtime import runtime_of
from rentengine.webhooks.delivery import service as deliveries
from rentengine.webhooks.delivery.metrics import WebhookMetrics
from rentengine.webhooks.delivery.testsend import RECORD_RULES, as_test_record, send_test
from rentengine.webhooks.examples import ACCOUNT_ID, DELIVERY
from rentengine.webhooks.schemas import DeliveryOut

router = APIRouter(tags=["Webhooks"])

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
            "dataPath": "",
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
    "request_id": "3b7e9f1d5c2a4e6b8d0f1a3c5e7b9d2f",
    "table": "lockboxes",
    "type": "INSERT",
    "status": "succeeded",
    "payload": {
        "type": "INSERT",
        "table": "lockboxes",
        "record": as_test_record(LOCKBOX, uuid.UUID(ACCOUNT_ID)),
        "old_record": None,
    },
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


TEST_SEND = "Sends one example INSERT of the subscription's first table now, marked `webhook-test: true`."


@router.post(
    "/webhooks/{id}/test",
    response_model=DeliveryOut,
    response_class=JSONBytes,
    responses={200: json_example("The test delivery after its one attempt", TESTED)},
    description=f"{TEST_SEND}\n\n{RECORD_RULES}",
)
async def test_webhook(request: Request, principal: CurrentPrincipal, id: uuid.UUID) -> JSONBytes:
    """The test send; its description (the record's rules) is set above."""
    runtime = runtime_of(request)
    metrics: WebhookMetrics = request.app.state.webhook_metrics
    return json_ok(
        await send_test(runtime.db, runtime.settings, principal, id, request.app.openapi(), metrics)
    )
