"""Subscription rules (API.md §19.4): upsert, disable, soft delete, and the delivery log.

A subscription's open deliveries are cancelled only here, always with an audited change of the
subscription: its owner disables or deletes it, or its receiver answers 410 Gone.

These writes are audited through the change seam with table `webhooks`, which no subscription can
list, so they never produce webhooks themselves. The audit record masks the two secrets, which are
stored encrypted (`webhooks.secrets`).
"""

import uuid
from datetime import datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth.access import Caller, require_account, visible
from rentengine.changes.recorded import Update, recorded_create, recorded_update, sent_account
from rentengine.changes.seam import record_change
from rentengine.changes.types import Actor, Change, Record
from rentengine.errors import BadRequest
from rentengine.kit.clock import utc_now
from rentengine.kit.encryption import Keyring
from rentengine.kit.ids import new_uuid
from rentengine.validation import require_fields
from rentengine.webhooks import repository
from rentengine.webhooks.delivery.signing import new_signing_secret
from rentengine.webhooks.models import WebhookDelivery, WebhookSubscription
from rentengine.webhooks.schemas import CREATE_REQUIRED, DeliveryQuery, WebhookUpsert
from rentengine.webhooks.secrets import environment_keyring, refresh, seal_api_key, seal_signing_secret
from rentengine.webhooks.urls import target_errors
from rentengine.webhooks.wire import delivery_to_wire, subscription_audit_record, subscription_to_wire

AUDIT_TABLE = "webhooks"


async def visible_subscription(
    session: AsyncSession, caller: Caller, webhook_id: uuid.UUID
) -> WebhookSubscription:
    """The live subscription, or 404 when it does not exist, was deleted or is in another account."""
    return visible(caller, await repository.live_subscription(session, webhook_id))


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
    session: AsyncSession,
    caller: Caller,
    actor: Actor,
    body: WebhookUpsert,
    allow_private: bool,
    keyring: Keyring | None = None,
) -> tuple[Record, bool]:
    """Creates or updates one subscription; returns its record (secrets in plaintext) and whether it
    was created. `keyring` encrypts the secrets: the process's; by default the environment's."""
    check_body(body)
    keyring = keyring or environment_keyring()
    if body.id is None:
        return await _create(session, caller, actor, body, allow_private, keyring), True
    return await _update(session, caller, actor, body, allow_private, keyring), False


def _apply(row: WebhookSubscription, body: WebhookUpsert, keyring: Keyring) -> None:
    """Sets the fields sent; the API key encrypted."""
    values = body.model_dump(include=body.model_fields_set - {"id", "account_id"})
    if "api_key" in values:
        row.api_key_sealed = seal_api_key(keyring, row.id, values.pop("api_key"))
    for field, value in values.items():
        setattr(row, field, value)


async def _create(
    session: AsyncSession,
    caller: Caller,
    actor: Actor,
    body: WebhookUpsert,
    allow_private: bool,
    keyring: Keyring,
) -> Record:
    require_account(caller, body.account_id)
    # DNS is asked before the first statement, so no database lock waits on the resolver.
    await _check_url(body, allow_private)
    now = utc_now()
    webhook_id = new_uuid()
    row = WebhookSubscription(
        id=webhook_id,
        account_id=body.account_id,
        api_key_sealed=None,
        enabled=True,
        signing_secret_sealed=seal_signing_secret(keyring, webhook_id, new_signing_secret()),
        created_at=now,
        updated_at=now,
    )
    _apply(row, body, keyring)
    session.add(row)
    # The change records the subscription without its secrets; the creator's answer shows them once.
    await recorded_create(session, actor, AUDIT_TABLE, row, partial(subscription_audit_record, row))
    return subscription_to_wire(row, keyring)


async def _update(
    session: AsyncSession,
    caller: Caller,
    actor: Actor,
    body: WebhookUpsert,
    allow_private: bool,
    keyring: Keyring,
) -> Record:
    assert body.id is not None
    account = sent_account(body)
    if account is not None:
        require_account(caller, account)
    # As on create, DNS is asked before the first statement takes any database lock.
    await _check_url(body, allow_private)
    row = await visible_subscription(session, caller, body.id)
    now = utc_now()

    def apply() -> None:
        _apply(row, body, keyring)
        refresh(keyring, row)  # a key rotation: what an older key sealed moves to the current one
        row.updated_at = now

    edit = Update(partial(subscription_audit_record, row), apply, "subscription", account)
    await recorded_update(session, actor, AUDIT_TABLE, row, edit)
    if not row.enabled:
        # Events that happened while enabled are dropped too; re-enabling backfills nothing.
        await _cancel_open_deliveries(session, row, now)
    return subscription_to_wire(row, keyring)


async def delete_subscription(
    session: AsyncSession, caller: Caller, actor: Actor, webhook_id: uuid.UUID
) -> None:
    """Soft delete: the delivery log stays until retention ends; open deliveries are cancelled."""
    row = await visible_subscription(session, caller, webhook_id)
    await _stop(session, actor, row, deleted=True)


async def disable_gone(session: AsyncSession, webhook_id: uuid.UUID, url: str) -> None:
    """The receiver answered 410 Gone: the subscription is disabled until its owner enables it again.

    Audited as an update by no user, naming the request that was answered (`POST <url>`). A
    subscription deleted or disabled meanwhile had its deliveries cancelled then.
    """
    row = await repository.live_subscription(session, webhook_id)
    if row is not None and row.enabled:
        await _stop(session, Actor(user_id=None, request_method="POST", request_path=url), row, deleted=False)


async def _stop(session: AsyncSession, actor: Actor, row: WebhookSubscription, *, deleted: bool) -> None:
    """Deletes or disables the subscription, cancels its open deliveries and records the change."""
    old = subscription_audit_record(row)
    now = utc_now()
    if deleted:
        row.deleted_at = now
    else:
        row.enabled = False
    row.updated_at = now
    await _cancel_open_deliveries(session, row, now)
    await session.flush()
    if deleted:
        change = Change.delete(AUDIT_TABLE, row.account_id, old)
    else:
        change = Change.update(AUDIT_TABLE, row.account_id, subscription_audit_record(row), old)
    await record_change(session, actor, change)


async def _cancel_open_deliveries(session: AsyncSession, row: WebhookSubscription, now: datetime) -> None:
    await repository.cancel_open_deliveries(session, WebhookDelivery.webhook_id == row.id, now)


async def list_deliveries(
    session: AsyncSession, caller: Caller, webhook_id: uuid.UUID, query: DeliveryQuery
) -> list[Record]:
    """One page of the subscription's deliveries, (created_at, id) ascending, with their attempts."""
    row = await visible_subscription(session, caller, webhook_id)
    deliveries = await repository.list_deliveries(session, row.id, query)
    attempts = await repository.attempts_of(session, [d.id for d in deliveries])
    return [delivery_to_wire(d, attempts.get(d.id, [])) for d in deliveries]
