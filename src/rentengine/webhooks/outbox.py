"""The outbox producer: the change seam's second consumer.

For every changed row and every enabled subscription of its account that lists the row's table and
change type, one delivery row holding the exact body is written in the caller's transaction: a
rolled-back write sends nothing and a committed one cannot be lost. After the commit the worker is
woken (in process through `Database`, across processes through PostgreSQL's NOTIFY, which is only
delivered when the transaction commits).
"""

import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.changes.types import Actor, Change
from rentengine.db.session import WAKE_DELIVERY_WORKER
from rentengine.kit.clock import utc_now
from rentengine.kit.ids import new_uuid
from rentengine.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from rentengine.webhooks.payload import payload_of

NOTIFY_CHANNEL = "rentengine_webhook_deliveries"


def new_event_id() -> str:
    """The `webhook-id` of one event: `msg_` + 32 hex digits."""
    return f"msg_{uuid.uuid4().hex}"


async def _subscriptions(
    session: AsyncSession, account_ids: Iterable[uuid.UUID]
) -> Sequence[WebhookSubscription]:
    stmt = select(WebhookSubscription).where(
        WebhookSubscription.account_id.in_(list(account_ids)),
        WebhookSubscription.enabled.is_(True),
        WebhookSubscription.deleted_at.is_(None),
    )
    return (await session.scalars(stmt)).all()


def _listens(subscription: WebhookSubscription, change: Change) -> bool:
    return (
        subscription.account_id == change.account_id
        and change.table in subscription.tables
        and change.type.value in subscription.event_types
    )


def delivery_rows(
    changes: Sequence[Change], subscriptions: Sequence[WebhookSubscription]
) -> list[dict[str, Any]]:
    """One row per (change, listening subscription); every subscription shares the change's event id."""
    start = utc_now()
    rows: list[dict[str, Any]] = []
    for index, change in enumerate(changes):
        # One microsecond apart, so that the commit order of a bulk write is also the send order.
        now = start + timedelta(microseconds=index)
        listeners = [s for s in subscriptions if _listens(s, change)]
        if not listeners:
            continue
        event_id, body = new_event_id(), payload_of(change)
        rows.extend(
            {
                "id": new_uuid(),
                "webhook_id": s.id,
                "account_id": s.account_id,
                "event_id": event_id,
                "table": change.table,
                "type": change.type.value,
                "payload": body,
                "status": DeliveryStatus.pending.value,
                "attempt_count": 0,
                "next_attempt_at": now,
                "is_test": False,
                "created_at": now,
                "updated_at": now,
            }
            for s in listeners
        )
    return rows


async def enqueue_deliveries(session: AsyncSession, _actor: Actor, changes: Sequence[Change]) -> None:
    subscriptions = await _subscriptions(session, {change.account_id for change in changes})
    if not subscriptions:
        return
    rows = delivery_rows(changes, subscriptions)
    if not rows:
        return
    await session.execute(insert(WebhookDelivery), rows)
    session.info[WAKE_DELIVERY_WORKER] = True
    if (await session.connection()).dialect.name == "postgresql":
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
