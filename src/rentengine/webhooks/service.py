"""Subscription rules (API.md §19.4): upsert, disable, soft delete, and the delivery log.

These writes are audited through the change seam with table `webhooks`, which no subscription can
list, so they never produce webhooks themselves. The audit record masks the two secrets.
"""

import uuid
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.changes.seam import record_change
from rentengine.changes.types import Actor, Change, Record
from rentengine.errors import BadRequest, Forbidden, NotFound
from rentengine.kit.clock import utc_now
from rentengine.kit.ids import new_uuid
from rentengine.validation import require_fields, rule_error
from rentengine.webhooks import repository
from rentengine.webhooks.models import WebhookSubscription
from rentengine.webhooks.schemas import CREATE_REQUIRED, DeliveryQuery, WebhookUpsert
from rentengine.webhooks.signing import new_signing_secret
from rentengine.webhooks.urls import target_errors
from rentengine.webhooks.wire import delivery_to_wire, subscription_to_wire

AUDIT_TABLE = "webhooks"
MASK = "[redacted]"
_SECRET_FIELDS = ("api_key", "signing_secret")


class Caller(Protocol):
    """Whoever acts: an API principal (its own accounts) or the operator at the CLI (every account)."""

    def can_access(self, account_id: uuid.UUID) -> bool: ...


class Operator:
    """The CLI's caller: the person running the server may manage every account's subscriptions."""

    def can_access(self, account_id: uuid.UUID) -> bool:
        return True


def audit_record(record: Record) -> Record:
    """The subscription as the audit log keeps it: a secret shows only whether it is set."""
    return {**record, **{k: MASK for k in _SECRET_FIELDS if record.get(k) is not None}}


async def visible_subscription(
    session: AsyncSession, caller: Caller, webhook_id: uuid.UUID
) -> WebhookSubscription:
    """The live subscription, or 404 when it does not exist, was deleted or is in another account."""
    row = await repository.live_subscription(session, webhook_id)
    if row is None or not caller.can_access(row.account_id):
        raise NotFound()
    return row


def check_body(body: WebhookUpsert) -> None:
    """The 400s a subscription body earns without the database or DNS (the mock applies the same)."""
    if body.id is None:
        require_fields(body, CREATE_REQUIRED)


async def _check_url(body: WebhookUpsert, allow_private: bool) -> None:
    if "url" in body.model_fields_set:
        errors = await target_errors(body.url, allow_private)
        if errors:
            raise BadRequest(errors)


async def upsert_subscription(
    session: AsyncSession, caller: Caller, actor: Actor, body: WebhookUpsert, allow_private: bool
) -> tuple[Record, bool]:
    """Creates or updates one subscription; returns its record and whether it was created."""
    check_body(body)
    if body.id is None:
        return await _create(session, caller, actor, body, allow_private), True
    return await _update(session, caller, actor, body, allow_private), False


def _sent_values(body: WebhookUpsert) -> dict[str, Any]:
    return body.model_dump(include=body.model_fields_set - {"id", "account_id"})


async def _create(
    session: AsyncSession, caller: Caller, actor: Actor, body: WebhookUpsert, allow_private: bool
) -> Record:
    if not caller.can_access(body.account_id):
        raise Forbidden()
    # DNS is asked before the first statement, so no database lock waits on the resolver.
    await _check_url(body, allow_private)
    now = utc_now()
    row = WebhookSubscription(
        id=new_uuid(),
        account_id=body.account_id,
        api_key=None,
        enabled=True,
        signing_secret=new_signing_secret(),
        created_at=now,
        updated_at=now,
    )
    for field, value in _sent_values(body).items():
        setattr(row, field, value)
    session.add(row)
    await session.flush()
    record = subscription_to_wire(row)
    await record_change(session, actor, Change.insert(AUDIT_TABLE, row.account_id, audit_record(record)))
    return record


async def _update(
    session: AsyncSession, caller: Caller, actor: Actor, body: WebhookUpsert, allow_private: bool
) -> Record:
    assert body.id is not None
    if "account_id" in body.model_fields_set and not caller.can_access(body.account_id):
        raise Forbidden()
    # As on create, DNS is asked before the first statement takes any database lock.
    await _check_url(body, allow_private)
    row = await visible_subscription(session, caller, body.id)
    if "account_id" in body.model_fields_set and body.account_id != row.account_id:
        raise rule_error(
            "/account_id",
            "const",
            "must be equal to the subscription's current account",
            {"allowedValue": str(row.account_id)},
        )
    old = subscription_to_wire(row)
    now = utc_now()
    for field, value in _sent_values(body).items():
        setattr(row, field, value)
    row.updated_at = now
    if not row.enabled:
        # Events that happened while enabled are dropped too; re-enabling backfills nothing.
        await repository.cancel_open_deliveries(session, row.id, now)
    await session.flush()
    record = subscription_to_wire(row)
    change = Change.update(AUDIT_TABLE, row.account_id, audit_record(record), audit_record(old))
    await record_change(session, actor, change)
    return record


async def delete_subscription(
    session: AsyncSession, caller: Caller, actor: Actor, webhook_id: uuid.UUID
) -> None:
    """Soft delete: the delivery log stays until retention ends; open deliveries are cancelled."""
    row = await visible_subscription(session, caller, webhook_id)
    old = subscription_to_wire(row)
    now = utc_now()
    row.deleted_at = row.updated_at = now
    await repository.cancel_open_deliveries(session, row.id, now)
    await session.flush()
    await record_change(session, actor, Change.delete(AUDIT_TABLE, row.account_id, audit_record(old)))


async def list_deliveries(
    session: AsyncSession, caller: Caller, webhook_id: uuid.UUID, query: DeliveryQuery
) -> list[Record]:
    """One page of the subscription's deliveries, (created_at, id) ascending, with their attempts."""
    row = await visible_subscription(session, caller, webhook_id)
    deliveries = await repository.list_deliveries(session, row.id, query)
    attempts = await repository.attempts_of(session, [d.id for d in deliveries])
    return [delivery_to_wire(d, attempts.get(d.id, [])) for d in deliveries]
