"""The outbox producer: the change seam's second consumer.

For every changed row and every enabled subscription of its account that lists the row's table and
change type, one delivery row holding the exact body is written in the caller's transaction: a
rolled-back write sends nothing and a committed one cannot be lost. After the commit the worker is
woken (in process through `Database`, across processes through PostgreSQL's NOTIFY, which is only
delivered when the transaction commits).
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.changes.types import Actor, Change
from rentengine.db.session import WAKE_DELIVERY_WORKER
from rentengine.kit.clock import utc_now
from rentengine.kit.ids import new_uuid
from rentengine.observability.requestid import current_request_id
from rentengine.webhooks.delivery.payload import payload_of
from rentengine.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

NOTIFY_CHANNEL = "rentengine_webhook_deliveries"


def new_event_id() -> str:
    """The `webhook-id` of one event: `msg_` + 32 hex digits."""
    return f"msg_{uuid.uuid4().hex}"


@dataclass(frozen=True, slots=True)
class Listener:
    """What the outbox needs of an enabled subscription."""

    id: uuid.UUID
    account_id: uuid.UUID
    tables: frozenset[str]
    event_types: frozenset[str]


_S = cast(Table, WebhookSubscription.__table__)
_DELIVERIES = cast(Table, WebhookDelivery.__table__)
# Built once: one indexed read (account_id, enabled) of four columns, no ORM objects.
_LISTENERS = select(_S.c.id, _S.c.account_id, _S.c.tables, _S.c.event_types).where(
    _S.c.account_id.in_(bindparam("accounts", expanding=True)),
    _S.c.enabled.is_(True),
    _S.c.deleted_at.is_(None),
)


async def _listeners(session: AsyncSession, account_ids: Iterable[uuid.UUID]) -> list[Listener]:
    rows = await session.execute(_LISTENERS, {"accounts": list(account_ids)})
    return [Listener(r.id, r.account_id, frozenset(r.tables), frozenset(r.event_types)) for r in rows]


def _listens(subscription: Listener | WebhookSubscription, change: Change) -> bool:
    return (
        subscription.account_id == change.account_id
        and change.table in subscription.tables
        and change.type.value in subscription.event_types
    )


def delivery_rows(
    changes: Sequence[Change], subscriptions: Sequence[Listener | WebhookSubscription]
) -> list[dict[str, Any]]:
    """One row per (change, listening subscription); every subscription shares the change's event id."""
    start = utc_now()
    # The request that made the changes, sent to receivers as X-Request-Id (None outside a request).
    request_id = current_request_id()
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
                "request_id": request_id,
                "created_at": now,
                "updated_at": now,
            }
            for s in listeners
        )
    return rows


# PostgreSQL: the rows as one array per column (one statement whatever their number, encoded by the
# driver), and the NOTIFY in the same round trip (a data-modifying WITH always runs; the NOTIFY is
# only delivered when the transaction commits).
_INSERT_AND_NOTIFY = text(
    """
    WITH inserted AS (
        INSERT INTO webhook_deliveries (id, webhook_id, account_id, event_id, "table", type, payload,
            status, attempt_count, next_attempt_at, is_test, request_id, created_at, updated_at)
        SELECT d.id, d.webhook_id, d.account_id, d.event_id, d.tbl, d.type, d.payload,
            :status, 0, d.at, false, d.request_id, d.at, d.at
        FROM unnest(CAST(:ids AS uuid[]), CAST(:webhook_ids AS uuid[]), CAST(:account_ids AS uuid[]),
            CAST(:event_ids AS text[]), CAST(:tables AS text[]), CAST(:types AS text[]),
            CAST(:payloads AS text[]), CAST(:ats AS timestamptz[]), CAST(:request_ids AS text[]))
            AS d(id, webhook_id, account_id, event_id, tbl, type, payload, at, request_id)
        RETURNING 1
    )
    SELECT pg_notify(:channel, '')
    """
)


async def _insert_and_notify_postgres(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await session.execute(
        _INSERT_AND_NOTIFY,
        {
            "ids": [r["id"] for r in rows],
            "webhook_ids": [r["webhook_id"] for r in rows],
            "account_ids": [r["account_id"] for r in rows],
            "event_ids": [r["event_id"] for r in rows],
            "tables": [r["table"] for r in rows],
            "types": [r["type"] for r in rows],
            "payloads": [r["payload"] for r in rows],
            "ats": [r["created_at"] for r in rows],
            "request_ids": [r.get("request_id") for r in rows],
            "status": DeliveryStatus.pending.value,
            "channel": NOTIFY_CHANNEL,
        },
    )


async def enqueue_deliveries(session: AsyncSession, _actor: Actor, changes: Sequence[Change]) -> None:
    """One read when nothing listens; else that read and one write (with the NOTIFY on PostgreSQL)."""
    subscriptions = await _listeners(session, {change.account_id for change in changes})
    if not subscriptions:
        return
    rows = delivery_rows(changes, subscriptions)
    if not rows:
        return
    await insert_deliveries(session, rows)


async def insert_deliveries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Writes `delivery_rows` in the caller's transaction; workers are woken once it commits."""
    session.info[WAKE_DELIVERY_WORKER] = True
    if session.get_bind().dialect.name == "postgresql":
        await _insert_and_notify_postgres(session, rows)
    else:
        await session.execute(_DELIVERIES.insert(), rows)
