"""The test send (API.md §19.4): one example INSERT, attempted once now, for the API and the portal.

Its record follows `RECORD_RULES`, for receivers that store what they get.
"""

import uuid
from typing import Any

from rentengine.auth.access import Caller
from rentengine.changes.types import Record
from rentengine.db.session import Database
from rentengine.settings import Settings
from rentengine.webhooks.delivery import service as deliveries
from rentengine.webhooks.delivery.metrics import WebhookMetrics
from rentengine.webhooks.delivery.sender import Sender
from rentengine.webhooks.delivery.worker import worker_name
from rentengine.webhooks.openapi import example_record
from rentengine.webhooks.secrets import keyring_of

# The test delivery's lease outlasts the one attempt; only a crash in between lets a worker send it.
TEST_LEASE_MARGIN_SECONDS = 60.0
NIL_UUID = "00000000-0000-0000-0000-000000000000"
RECORD_RULES = """\
The record is the example record of the subscription's first table in this document, made the
subscription's own and plainly a test:

- every `account_id` in it (nested ones too) is the subscription's `account_id`;
- every other id (`id` and `*_id`, nested ones too) is the zero of its type: `0`, the nil UUID
  `00000000-0000-0000-0000-000000000000`, or `"0"` for other strings, ids no real row has;
- the record ends with one more field, `"test": true`.

Otherwise the record keeps the table's fields, in order, with their types, so a receiver that parses
the table's records accepts it. The body keeps its four keys (`type` is `INSERT`, `old_record` is
null) and the request carries the header `webhook-test: true`. A test delivery is attempted once,
never retried, and a 410 answer does not disable the subscription.
"""


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
            lambda table, account_id: as_test_record(example_record(document, table), account_id),
            owner,
            lease,
            keyring_of(settings),
        )
    async with Sender.open(settings) as sender:
        result = await sender.attempt(
            job.target, job.event_id, job.payload, test=True, request_id=job.request_id
        )
    async with db.transaction() as session:
        status = await deliveries.record_outcome(session, job, result, owner, max_retries=0)
        wire = await deliveries.delivery_record(session, job.id)
    if metrics is not None:
        metrics.observe(result.outcome, status, None)
    return wire


def as_test_record(example: Record, account_id: uuid.UUID) -> Record:
    """The example record as the test record of a subscription of `account_id` (`RECORD_RULES`)."""
    record = _of_account(example, str(account_id))
    assert isinstance(record, dict)
    return {**record, "test": True}


def _of_account(value: Any, account: str) -> Any:
    if isinstance(value, list):
        return [_of_account(item, account) for item in value]
    if not isinstance(value, dict):
        return value
    return {key: _field(key, item, account) for key, item in value.items()}


def _field(key: str, value: Any, account: str) -> Any:
    if key == "account_id":
        return account
    if (key == "id" or key.endswith("_id")) and value is not None and not isinstance(value, (dict, list)):
        return _zero_id(value)
    return _of_account(value, account)


def _zero_id(value: Any) -> Any:
    """The id no real row has, of the value's type."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return 0
    if isinstance(value, str):
        try:
            uuid.UUID(value)
        except ValueError:
            return "0"
        return NIL_UUID
    return value
