"""The test send (API.md §19.4): one example INSERT, attempted once now, for the API and the portal."""

import uuid
from typing import Any

from rentengine.auth.access import Caller
from rentengine.changes.types import Record
from rentengine.db.session import Database
from rentengine.settings import Settings
from rentengine.showings.examples import SHOWING
from rentengine.webhooks.delivery import service as deliveries
from rentengine.webhooks.delivery.metrics import WebhookMetrics
from rentengine.webhooks.delivery.sender import Sender
from rentengine.webhooks.delivery.worker import worker_name
from rentengine.webhooks.secrets import keyring_of

# The test delivery's lease outlasts the one attempt; only a crash in between lets a worker send it.
TEST_LEASE_MARGIN_SECONDS = 60.0
# Tables whose records no operation returns (a booking answers `{"statusText": "success"}`).
RECORDS_WITHOUT_OPERATION: dict[str, Record] = {"showings": SHOWING}


async def send_test(
    db: Database,
    settings: Settings,
    caller: Caller,
    webhook_id: uuid.UUID,
    document: dict[str, Any],
    metrics: WebhookMetrics | None = None,
) -> Record:
    """Sends the test delivery and returns it after its one attempt (`document`: the OpenAPI one).

    Three steps, each in its own transaction or none: no database lock waits on the receiver.
    """
    owner = f"test-send:{worker_name()}"
    lease = settings.webhook_timeout_seconds + TEST_LEASE_MARGIN_SECONDS
    async with db.transaction() as session:
        job = await deliveries.open_test_delivery(
            session,
            caller,
            webhook_id,
            lambda table, _account_id: example_record(document, table),
            owner,
            lease,
            keyring_of(settings),
        )
    async with Sender.open(settings) as sender:
        result = await sender.attempt(job.target, job.event_id, job.payload, test=True)
    async with db.transaction() as session:
        status = await deliveries.record_outcome(session, job, result, owner, max_retries=0)
        wire = await deliveries.delivery_record(session, job.id)
    if metrics is not None:
        metrics.observe(result.outcome, status, None)
    return wire


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
