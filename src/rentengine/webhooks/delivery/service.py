"""The delivery outbox as the worker sees it: claims, leases, outcomes, redelivery and retention.

Every function takes the caller's session and never commits: one outcome (the attempt, the
delivery's new state and, after a 410, the disabled subscription, its audit entry and its
cancelled deliveries) commits or rolls back as a whole.
"""

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    Table,
    Uuid,
    any_,
    bindparam,
    delete,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth.access import Caller
from rentengine.changes.types import Change, ChangeType, Record
from rentengine.db.session import WAKE_DELIVERY_WORKER
from rentengine.errors import Conflict, NotFound, detail
from rentengine.kit.clock import utc_now
from rentengine.kit.encryption import Keyring, SealError
from rentengine.kit.ids import new_uuid
from rentengine.observability.requestid import current_request_id
from rentengine.webhooks import repository
from rentengine.webhooks import service as subscriptions
from rentengine.webhooks.delivery.outbox import NOTIFY_CHANNEL, new_event_id
from rentengine.webhooks.delivery.payload import payload_of
from rentengine.webhooks.delivery.retry import next_delay
from rentengine.webhooks.delivery.sender import AttemptResult, Target
from rentengine.webhooks.models import (
    OPEN_STATUSES,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from rentengine.webhooks.secrets import api_key_of, open_api_key, open_signing_secret, signing_secret_of
from rentengine.webhooks.wire import delivery_to_wire

log = logging.getLogger(__name__)

D = WebhookDelivery
S = WebhookSubscription
ATTEMPTS = cast(Table, WebhookAttempt.__table__)
DELIVERIES = cast(Table, WebhookDelivery.__table__)
SUBSCRIPTIONS = cast(Table, WebhookSubscription.__table__)
_TARGETS = select(
    SUBSCRIPTIONS.c.id,
    SUBSCRIPTIONS.c.url,
    SUBSCRIPTIONS.c.api_key_sealed,
    SUBSCRIPTIONS.c.signing_secret_sealed,
    SUBSCRIPTIONS.c.enabled,
    SUBSCRIPTIONS.c.deleted_at,
).where(SUBSCRIPTIONS.c.id.in_(bindparam("ids", expanding=True)))
# Deliveries (with their attempts) removed per retention transaction, so no purge holds locks for long.
PURGE_CHUNK = 500
REDELIVERABLE = (
    DeliveryStatus.succeeded.value,
    DeliveryStatus.dead_lettered.value,
    DeliveryStatus.cancelled.value,
)


@dataclass(slots=True)
class Job:
    """A claimed delivery: everything needed to send it and to record the outcome."""

    id: uuid.UUID
    event_id: str
    payload: str
    attempt_count: int
    created_at: datetime
    is_test: bool
    lease_expires_at: datetime
    target: Target
    # Sent as X-Request-Id: the request that made the change (None when none did).
    request_id: str | None = None


# At most this many due deliveries of one subscription per claim: a subscription with a large
# backlog (a failing receiver) cannot fill a claim and hold back the others.
PER_SUBSCRIPTION = 64
# PostgreSQL: claims are taken one at a time (a transaction-level advisory lock), as SQLite's write
# lock does, so that a worker claiming while another does sees that one's leases instead of
# skipping its locked rows and coming back with less than is due.
CLAIM_LOCK_KEY = 0x7265_6E74_686F_6F6B  # "renthook"
# Written out, not bound: the planner can then match them to an index on the open deliveries only.
_OPEN: list[ColumnElement[str]] = [literal_column(f"'{status}'") for status in OPEN_STATUSES]


def _due(now: datetime, status: str) -> Select[uuid.UUID]:
    """One due delivery of one status, if any, read along the (status, next_attempt_at) index."""
    c = DELIVERIES.c
    lease_free = or_(c.lease_expires_at.is_(None), c.lease_expires_at <= now)
    return select(c.id).where(c.status == status, c.next_attempt_at <= now, lease_free).limit(1)


def _oldest_due_of(
    subscription: ColumnElement[uuid.UUID], now: datetime, k: int, postgres: bool
) -> Select[Any]:
    """The subscription's `k` oldest due deliveries not leased by a live worker (PostgreSQL: locked,
    skipping rows another transaction holds, and re-checked on the newest row version)."""
    d = DELIVERIES.alias("d")
    oldest = (
        select(d.c.id, d.c.webhook_id, d.c.next_attempt_at, d.c.created_at)
        .where(
            d.c.webhook_id == subscription,
            d.c.status.in_(_OPEN),
            d.c.next_attempt_at <= now,
            or_(d.c.lease_expires_at.is_(None), d.c.lease_expires_at <= now),
        )
        .order_by(d.c.next_attempt_at, d.c.created_at, d.c.id)
        .limit(k)
    )
    return oldest.with_for_update(skip_locked=True) if postgres else oldest


def _fair_pick(
    now: datetime, limit: int, per_subscription: int, skip: Sequence[uuid.UUID], postgres: bool
) -> Select[Any]:
    """The ids of up to `limit` due deliveries, round robin across subscriptions.

    Per subscription, at most its `per_subscription` oldest due deliveries (one short index range
    each, whatever another subscription's backlog); of those the claim takes every subscription's
    first, then every second, and so on. Subscriptions in `skip` (the caller holds enough of
    theirs already) are left out.
    """
    s = SUBSCRIPTIONS
    subscriptions = select(s.c.id).where(s.c.id.not_in(list(skip))) if skip else select(s.c.id)
    subs = subscriptions.subquery("subs")
    if postgres:
        due = _oldest_due_of(subs.c.id, now, per_subscription, postgres).lateral("due")
        source = select(due).select_from(subs.join(due, true()))
    else:  # no LATERAL: the same per-subscription range as a correlated IN
        d = DELIVERIES.alias("due")
        oldest = _oldest_due_of(subs.c.id, now, per_subscription, postgres)
        ids = oldest.with_only_columns(oldest.selected_columns.id).correlate(subs)
        source = select(d.c.id, d.c.webhook_id, d.c.next_attempt_at, d.c.created_at).select_from(
            subs.join(d, d.c.id.in_(ids))
        )
    candidates = source.subquery("candidates")
    order = (candidates.c.next_attempt_at, candidates.c.created_at, candidates.c.id)
    rank = func.row_number().over(partition_by=candidates.c.webhook_id, order_by=order).label("rank")
    ranked = select(candidates.c.id, *order[:2], rank).subquery("ranked")
    return (
        select(ranked.c.id)
        .order_by(ranked.c.rank, ranked.c.next_attempt_at, ranked.c.created_at)
        .limit(limit)
    )


async def claim_due(
    session: AsyncSession,
    owner: str,
    limit: int,
    lease_seconds: float,
    keyring: Keyring,
    *,
    per_subscription: int = PER_SUBSCRIPTION,
    skip: Sequence[uuid.UUID] = (),
) -> list[Job]:
    """Leases up to `limit` due deliveries in one statement, at most `per_subscription` of each
    subscription, round robin across subscriptions (none of those in `skip`); returns those to send,
    oldest first, their subscriptions' secrets decrypted with `keyring`.

    Deliveries whose subscription was deleted, or disabled (test sends excepted), are cancelled
    instead of being returned. Those of a subscription whose secrets do not decrypt (a key missing
    from the keyring) are logged as errors and not returned: they stay leased, so they come back
    (and are logged again) when the lease ends, and are sent by a worker that has the key.
    """
    now = utc_now()
    until = now + timedelta(seconds=lease_seconds)
    c = DELIVERIES.c
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK_KEY})
    picked = _fair_pick(now, limit, per_subscription, skip, postgres)
    # PostgreSQL: the picked ids as one array, each row then found by its key. As a join or an IN,
    # the planner expects `limit` rows and may hash them against a scan of the whole table.
    which = c.id == any_(func.array(picked.scalar_subquery())) if postgres else c.id.in_(picked)
    claim = (
        update(DELIVERIES)
        .where(which)
        .values(lease_owner=owner, lease_expires_at=until, updated_at=now)
        .returning(
            c.id, c.webhook_id, c.event_id, c.payload, c.attempt_count, c.created_at, c.is_test, c.request_id
        )
    )
    claimed: list[Any] = list((await session.execute(claim)).all())
    rows = sorted(claimed, key=lambda r: (r.created_at, r.id))
    if not rows:
        return []
    return await _jobs(session, rows, now, until, keyring)


async def _jobs(
    session: AsyncSession, rows: Sequence[Any], now: datetime, until: datetime, keyring: Keyring
) -> list[Job]:
    """The claimed rows to send; those of deleted or disabled subscriptions are cancelled instead."""
    # The subscriptions: six columns, no ORM objects; secrets decrypted once each, when needed.
    subscriptions = {
        sub.id: sub for sub in await session.execute(_TARGETS, {"ids": list({r.webhook_id for r in rows})})
    }
    targets: dict[uuid.UUID, Target | None] = {}
    jobs: list[Job] = []
    dropped: list[uuid.UUID] = []
    for r in rows:
        sub = subscriptions[r.webhook_id]
        if sub.deleted_at is not None or (not sub.enabled and not r.is_test):
            dropped.append(r.id)
            continue
        if sub.id not in targets:
            targets[sub.id] = _target(sub, keyring)
        target = targets[sub.id]
        if target is None:
            continue
        jobs.append(
            Job(
                r.id,
                r.event_id,
                r.payload,
                r.attempt_count,
                r.created_at,
                r.is_test,
                until,
                target,
                r.request_id,
            )
        )
    if dropped:
        await repository.cancel_open_deliveries(session, D.id.in_(dropped), now)
    return jobs


def _target(sub: Any, keyring: Keyring) -> Target | None:
    """What a send needs from the subscription row; None (logged) when its secrets do not decrypt."""
    try:
        api_key = open_api_key(keyring, sub.id, sub.api_key_sealed)
        secret = open_signing_secret(keyring, sub.id, sub.signing_secret_sealed)
    except SealError as exc:
        log.error("webhook %s: nothing is sent, its secrets cannot be decrypted: %s", sub.id, exc)
        return None
    return Target(sub.id, sub.url, api_key, secret)


async def any_due(session: AsyncSession, skip: Sequence[uuid.UUID] = ()) -> bool:
    """Whether a claim would find work now: a cheap read before taking SQLite's write lock.

    Subscriptions in `skip` (the claim leaves them out) do not count: otherwise a backlog the
    caller holds enough of would have it claim, and take the write lock, again and again for nothing.
    """
    now = utc_now()
    if skip:
        pick = _fair_pick(now, 1, 1, skip, session.get_bind().dialect.name == "postgresql")
        return (await session.scalar(pick)) is not None
    for status in OPEN_STATUSES:
        if (await session.scalar(_due(now, status))) is not None:
            return True
    return False


async def renew_leases(
    session: AsyncSession, job_ids: Sequence[uuid.UUID], owner: str, lease_seconds: float
) -> tuple[set[uuid.UUID], datetime]:
    """Extends claims that waited in a queue: (those still ours to send, their new expiry)."""
    now = utc_now()
    until = now + timedelta(seconds=lease_seconds)
    c = DELIVERIES.c
    stmt = (
        update(DELIVERIES)
        .where(c.id.in_(list(job_ids)), c.lease_owner == owner, c.status.in_(OPEN_STATUSES))
        .values(lease_expires_at=until, updated_at=now)
        .returning(c.id)
    )
    return set((await session.scalars(stmt)).all()), until


async def release_leases(session: AsyncSession, job_ids: Sequence[uuid.UUID], owner: str) -> None:
    """Hands unsent claims back at once (a stopping worker), instead of letting their leases run out."""
    if not job_ids:
        return
    stmt = (
        update(D)
        .where(D.id.in_(list(job_ids)), D.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(stmt)


def decide(job: Job, result: AttemptResult, max_retries: int) -> tuple[str, datetime | None]:
    """The delivery's next status and next attempt time after attempt number `attempt_count + 1`."""
    if result.succeeded:
        return DeliveryStatus.succeeded.value, None
    number = job.attempt_count + 1
    # A test send is attempted once; a 410 says the endpoint is gone, so there is nothing to retry.
    allowed = 0 if job.is_test else max_retries
    if result.status_code == 410 or number > allowed:
        return DeliveryStatus.dead_lettered.value, None
    delay = next_delay(number, result.retry_after)
    return DeliveryStatus.retrying.value, utc_now() + timedelta(seconds=delay)


async def record_outcome(
    session: AsyncSession, job: Job, result: AttemptResult, owner: str, max_retries: int
) -> str | None:
    """Logs the attempt and moves the delivery on; None when the claim was lost meanwhile."""
    [status] = await record_outcomes(session, [(job, result)], owner, max_retries)
    return status


async def record_outcomes(
    session: AsyncSession, outcomes: Sequence[tuple[Job, AttemptResult]], owner: str, max_retries: int
) -> list[str | None]:
    """Several outcomes in the caller's transaction, each one whole; per outcome its new status.

    The status is None when the claim was lost: the lease ran out and another worker took the
    delivery, or it was cancelled while in flight. The attempt is still logged: it was made.
    Successes, the common case, move together in one statement.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        await _insert_attempts_postgres(session, outcomes)
    else:  # Core, not the ORM's bulk insert: one multi-row INSERT with less work per row.
        await session.execute(ATTEMPTS.insert(), [_attempt_row(job, result) for job, result in outcomes])
    decided = [decide(job, result, max_retries) for job, result in outcomes]
    now = utc_now()
    moved: set[uuid.UUID] = set()
    succeeded = [
        job.id for (job, _), (status, _) in zip(outcomes, decided, strict=True) if status == "succeeded"
    ]
    if succeeded:
        # PostgreSQL: one array parameter instead of a list rendered into the statement each time.
        ids = DELIVERIES.c.id == any_(bindparam("ids", succeeded, ARRAY(Uuid()))) if postgres else None
        which = DELIVERIES.c.id.in_(succeeded) if ids is None else ids
        moved |= await _move(session, which, owner, now, "succeeded", None)
    others = [
        (job.id, status, next_at)
        for (job, _), (status, next_at) in zip(outcomes, decided, strict=True)
        if status != "succeeded"
    ]
    if others and postgres:
        moved |= await _move_each_postgres(session, others, owner, now)
    else:  # SQLite runs in process: a statement each costs no round trip
        for delivery_id, status, next_at in others:
            moved |= await _move(session, DELIVERIES.c.id == delivery_id, owner, now, status, next_at)
    for job, result in outcomes:
        if job.id in moved and result.status_code == 410 and not job.is_test:
            await subscriptions.disable_gone(session, job.target.webhook_id, job.target.url)
    return [
        status if job.id in moved else None for (job, _), (status, _) in zip(outcomes, decided, strict=True)
    ]


# PostgreSQL: the attempts as one array per column, one statement whatever their number.
_INSERT_ATTEMPTS = text(
    """
    INSERT INTO webhook_attempts (delivery_id, attempt_number, attempted_at, status_code, duration_ms,
        response_body, error)
    SELECT * FROM unnest(CAST(:delivery_ids AS uuid[]), CAST(:numbers AS integer[]),
        CAST(:attempted_at AS timestamptz[]), CAST(:status_codes AS integer[]),
        CAST(:durations AS integer[]), CAST(:bodies AS text[]), CAST(:errors AS text[]))
    """
)


async def _insert_attempts_postgres(
    session: AsyncSession, outcomes: Sequence[tuple[Job, AttemptResult]]
) -> None:
    await session.execute(
        _INSERT_ATTEMPTS,
        {
            "delivery_ids": [job.id for job, _ in outcomes],
            "numbers": [job.attempt_count + 1 for job, _ in outcomes],
            "attempted_at": [result.attempted_at for _, result in outcomes],
            "status_codes": [result.status_code for _, result in outcomes],
            "durations": [result.duration_ms for _, result in outcomes],
            "bodies": [result.response_body for _, result in outcomes],
            "errors": [result.error for _, result in outcomes],
        },
    )


def _attempt_row(job: Job, result: AttemptResult) -> dict[str, Any]:
    return {
        "delivery_id": job.id,
        "attempt_number": job.attempt_count + 1,
        "attempted_at": result.attempted_at,
        "status_code": result.status_code,
        "duration_ms": result.duration_ms,
        "response_body": result.response_body,
        "error": result.error,
    }


async def _move(
    session: AsyncSession,
    which: ColumnElement[bool],
    owner: str,
    now: datetime,
    status: str,
    next_at: datetime | None,
) -> set[uuid.UUID]:
    """Sets the outcome on the claimed deliveries still ours and releases them; returns their ids."""
    c = DELIVERIES.c
    stmt = (
        update(DELIVERIES)
        .where(which, c.lease_owner == owner, c.status.in_(OPEN_STATUSES))
        .values(
            status=status,
            attempt_count=c.attempt_count + 1,
            next_attempt_at=next_at,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )
        .returning(c.id)
    )
    return set((await session.scalars(stmt)).all())


# PostgreSQL: retries and dead letters, each with its own status and next attempt, in one statement.
_MOVE_EACH = text(
    """
    UPDATE webhook_deliveries AS d
    SET status = o.status, attempt_count = d.attempt_count + 1, next_attempt_at = o.next_at,
        lease_owner = NULL, lease_expires_at = NULL, updated_at = :now
    FROM unnest(CAST(:ids AS uuid[]), CAST(:statuses AS text[]), CAST(:next_ats AS timestamptz[]))
        AS o(id, status, next_at)
    WHERE d.id = o.id AND d.lease_owner = :owner AND d.status IN ('pending', 'retrying')
    RETURNING d.id
    """
)


async def _move_each_postgres(
    session: AsyncSession,
    outcomes: Sequence[tuple[uuid.UUID, str, datetime | None]],
    owner: str,
    now: datetime,
) -> set[uuid.UUID]:
    """`_move` for several deliveries, each to its own status, in one statement."""
    ids, statuses, next_ats = zip(*outcomes, strict=True)
    params = {"ids": list(ids), "statuses": list(statuses), "next_ats": list(next_ats)}
    rows = await session.execute(_MOVE_EACH, {**params, "owner": owner, "now": now})
    return {row.id for row in rows}


async def wake_workers(session: AsyncSession) -> None:
    """After this session commits, workers in this process and (PostgreSQL) elsewhere look for work."""
    session.info[WAKE_DELIVERY_WORKER] = True
    if (await session.connection()).dialect.name == "postgresql":
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})


async def purge_expired(session: AsyncSession, retention_days: int) -> int:
    """Deletes one chunk of finished deliveries (and their attempts) older than the retention period.

    Returns how many deliveries went; the caller repeats, one transaction per chunk, until fewer
    than `PURGE_CHUNK`. Soft-deleted subscriptions whose log is gone are removed with them.
    """
    cutoff = utc_now() - timedelta(days=retention_days)
    expired = select(D.id).where(D.created_at < cutoff, D.status.not_in(OPEN_STATUSES)).limit(PURGE_CHUNK)
    ids = list((await session.scalars(expired)).all())
    if ids:
        await session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids)))
        await session.execute(delete(D).where(D.id.in_(ids)).execution_options(synchronize_session=False))
    if len(ids) < PURGE_CHUNK:
        gone = S.deleted_at.is_not(None) & (S.deleted_at < cutoff) & ~exists().where(D.webhook_id == S.id)
        await session.execute(delete(S).where(gone).execution_options(synchronize_session=False))
    return len(ids)


def _not_redeliverable(status: str) -> Conflict:
    return Conflict(
        "Delivery is still in flight",
        [
            detail(
                "status",
                "",
                "must be succeeded, dead_lettered or cancelled to be redelivered",
                {"status": status, "allowedValues": list(REDELIVERABLE)},
            )
        ],
    )


def _subscription_disabled(webhook_id: uuid.UUID) -> Conflict:
    return Conflict(
        "Webhook subscription is disabled",
        [
            detail(
                "enabled",
                "",
                "the subscription must be enabled to receive a redelivery",
                {"webhook_id": str(webhook_id), "enabled": False},
            )
        ],
    )


async def redeliver(session: AsyncSession, caller: Caller, delivery_id: uuid.UUID) -> Record:
    """Queues a finished delivery again: same payload and event id, attempt counter from zero."""
    row = await session.scalar(select(D).where(D.id == delivery_id).with_for_update())
    if row is None:
        raise NotFound()
    subscription = await subscriptions.visible_subscription(session, caller, row.webhook_id)
    if row.status in OPEN_STATUSES:
        raise _not_redeliverable(row.status)
    if not subscription.enabled:
        raise _subscription_disabled(subscription.id)
    now = utc_now()
    row.status = DeliveryStatus.pending.value
    row.attempt_count = 0
    row.next_attempt_at = now
    row.lease_owner = row.lease_expires_at = None
    row.updated_at = now
    await session.flush()
    await wake_workers(session)
    return await delivery_record(session, row.id)


async def open_test_delivery(
    session: AsyncSession,
    caller: Caller,
    webhook_id: uuid.UUID,
    record_for: Callable[[str, uuid.UUID], Record],
    owner: str,
    lease: float,
    keyring: Keyring,
) -> Job:
    """Writes the test delivery already leased by `owner`, so no worker sends it meanwhile.

    If the process dies before recording the outcome, the lease runs out and a worker sends it once.
    Secrets that do not decrypt raise SealError before anything is written.
    """
    subscription = await subscriptions.visible_subscription(session, caller, webhook_id)
    target = Target(
        subscription.id,
        subscription.url,
        api_key_of(keyring, subscription),
        signing_secret_of(keyring, subscription),
    )
    table = subscription.tables[0]
    record = record_for(table, subscription.account_id)
    payload = payload_of(Change(table, ChangeType.INSERT, subscription.account_id, "", record, None))
    now = utc_now()
    row = D(
        id=new_uuid(),
        webhook_id=subscription.id,
        account_id=subscription.account_id,
        event_id=new_event_id(),
        table=table,
        type=ChangeType.INSERT.value,
        payload=payload,
        status=DeliveryStatus.pending.value,
        attempt_count=0,
        next_attempt_at=now,
        lease_owner=owner,
        lease_expires_at=now + timedelta(seconds=lease),
        is_test=True,
        request_id=current_request_id(),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    until = now + timedelta(seconds=lease)
    return Job(row.id, row.event_id, payload, 0, now, True, until, target, row.request_id)


async def delivery_record(session: AsyncSession, delivery_id: uuid.UUID) -> Record:
    """The delivery as the API shows it, with its attempts."""
    row = await session.get_one(D, delivery_id)
    attempts = await repository.attempts_of(session, [delivery_id])
    return delivery_to_wire(row, attempts.get(delivery_id, []))
