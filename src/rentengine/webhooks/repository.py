"""SQL for subscriptions and their delivery log."""

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.db.pagination import page_of
from rentengine.validation import PageQuery
from rentengine.webhooks.models import (
    OPEN_STATUSES,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from rentengine.webhooks.schemas import DeliveryQuery


async def list_subscriptions(
    session: AsyncSession, account_ids: Iterable[uuid.UUID], page: PageQuery | None = None
) -> Sequence[WebhookSubscription]:
    """Live subscriptions of the accounts, (created_at, id) ascending; every one when `page` is None."""
    stmt = (
        select(WebhookSubscription)
        .where(
            WebhookSubscription.account_id.in_(list(account_ids)),
            WebhookSubscription.deleted_at.is_(None),
        )
        .order_by(WebhookSubscription.created_at, WebhookSubscription.id)
    )
    if page is not None:
        stmt = page_of(stmt, page)
    return (await session.scalars(stmt)).all()


async def live_subscription(session: AsyncSession, webhook_id: uuid.UUID) -> WebhookSubscription | None:
    """The subscription unless it does not exist or was deleted."""
    stmt = select(WebhookSubscription).where(
        WebhookSubscription.id == webhook_id, WebhookSubscription.deleted_at.is_(None)
    )
    return (await session.scalars(stmt)).one_or_none()


async def cancel_open_deliveries(session: AsyncSession, which: ColumnElement[bool], now: datetime) -> int:
    """Cancels the pending and retrying deliveries among `which`; returns how many.

    The one statement that cancels: a subscription's deliveries when it is deleted or disabled (by
    its owner or by a 410 Gone, `service`), and those a claim finds of such a subscription.
    """
    stmt = (
        update(WebhookDelivery)
        .where(which, WebhookDelivery.status.in_(OPEN_STATUSES))
        .values(
            status=DeliveryStatus.cancelled.value,
            next_attempt_at=None,
            # With the claim gone, an attempt still in flight cannot move the row out of `cancelled`.
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)


async def list_deliveries(
    session: AsyncSession, webhook_id: uuid.UUID, query: DeliveryQuery
) -> Sequence[WebhookDelivery]:
    stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if query.status:
        stmt = stmt.where(WebhookDelivery.status.in_(query.status))
    if query.created_after is not None:
        stmt = stmt.where(WebhookDelivery.created_at >= query.created_after)
    if query.created_before is not None:
        stmt = stmt.where(WebhookDelivery.created_at < query.created_before)
    stmt = stmt.order_by(WebhookDelivery.created_at, WebhookDelivery.id)
    return (await session.scalars(page_of(stmt, query))).all()


async def attempts_of(
    session: AsyncSession, delivery_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[WebhookAttempt]]:
    """The attempts of several deliveries in one query, each delivery's in the order they were made."""
    if not delivery_ids:
        return {}
    stmt = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(list(delivery_ids)))
        .order_by(WebhookAttempt.delivery_id, WebhookAttempt.id)
    )
    found: dict[uuid.UUID, list[WebhookAttempt]] = defaultdict(list)
    for attempt in (await session.scalars(stmt)).all():
        found[attempt.delivery_id].append(attempt)
    return found
