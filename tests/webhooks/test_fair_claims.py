"""Fair claims on both databases: a subscription with a large backlog (its receiver failing) does not
hold back another subscription's new deliveries; workers claiming at once never share a delivery;
each subscription's deliveries are claimed in commit order.

The backlogs are written as the outbox writes deliveries (its rows and its insert), in bulk; the
worker sends to a real local receiver.
"""

import asyncio
import contextlib
import itertools
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from sqlalchemy import func, select

from rentengine.db.session import Database
from rentengine.runtime import Runtime
from rentengine.webhooks.delivery.outbox import Listener
from rentengine.webhooks.delivery.service import PER_SUBSCRIPTION, claim_due
from rentengine.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.factories import Tenant
from tests.hooks import hooks
from tests.webhooks.backlog import KEYRING, enqueue, subscribe
from tests.webhooks.receiver import (
    Receiver,
    Reply,
    cancel_open_deliveries,
    running_worker,
    settings_with,
    wait_until,
)

__all__ = ["hooks"]  # the module's database, from tests.hooks
BACKLOG = 5000
FAILING, HEALTHY = "/failing", "/healthy"


@pytest.fixture(autouse=True)
async def _nothing_left_due(hooks: Runtime) -> AsyncIterator[None]:
    yield
    await cancel_open_deliveries(hooks.db)


async def commit_order(db: Database, webhook_id: uuid.UUID) -> list[uuid.UUID]:
    async with db.transaction(writes=False) as session:
        d = WebhookDelivery
        stmt = select(d.id).where(d.webhook_id == webhook_id).order_by(d.created_at, d.id)
        return list((await session.scalars(stmt)).all())


async def claim(
    db: Database, owner: str, limit: int = 1024, **options: Any
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(subscription, delivery) of what one claim leased."""
    async with db.transaction() as session:
        jobs = await claim_due(session, owner, limit, 60, KEYRING, **options)
    return [(job.target.webhook_id, job.id) for job in jobs]


async def test_a_new_delivery_is_in_the_next_claim_whatever_another_subscriptions_backlog(
    hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    failing = await subscribe(hooks.db, owner.account_id, receiver.url(FAILING))
    healthy = await subscribe(hooks.db, owner.account_id, receiver.url(HEALTHY))
    await enqueue(hooks.db, [failing], BACKLOG)
    await enqueue(hooks.db, [healthy], 3, commits=3)

    claimed = await claim(hooks.db, "worker")

    mine = [delivery for webhook_id, delivery in claimed if webhook_id == healthy.id]
    assert mine == await commit_order(hooks.db, healthy.id)
    assert len(claimed) - len(mine) == PER_SUBSCRIPTION  # the backlog's share, not the whole claim


async def test_a_healthy_subscription_is_served_while_a_failing_ones_backlog_waits(
    hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    failing = await subscribe(hooks.db, owner.account_id, receiver.url(FAILING))
    healthy = await subscribe(hooks.db, owner.account_id, receiver.url(HEALTHY))
    # A flaky receiver: three of every four requests refused, so that the breaker, which opens after
    # several failures in a row, stays closed and the worker keeps sending the backlog. Retry-After an
    # hour: a failed delivery is not due again during the test.
    refused = Reply(500, headers={"Retry-After": "3600"})
    requests = itertools.count(1)
    receiver.respond = lambda r: Reply() if r.path != FAILING or next(requests) % 4 == 0 else refused
    await enqueue(hooks.db, [failing], BACKLOG)
    async with running_worker(hooks.settings, hooks.db):
        await receiver.wait_for(50, FAILING, within=30)  # the worker is busy with the backlog
        committed: list[float] = []
        for _ in range(20):
            await enqueue(hooks.db, [healthy], 1)
            committed.append(time.monotonic())
            await asyncio.sleep(0.05)
        arrived = await receiver.wait_for(20, HEALTHY, within=30)
    committed_at = dict(zip(await event_ids(hooks.db, healthy.id), committed, strict=True))
    backlog_sent_at = [r.at for r in receiver.to(FAILING)]
    # How many of the backlog's requests went out between a new delivery's commit and its arrival:
    # before fair claims, the thousands claimed ahead of it (however fast the machine); now those
    # sent while the next claim runs, a few dozen to a few hundred on a busy machine.
    overtaken = [
        sum(1 for at in backlog_sent_at if committed_at[request.headers["webhook-id"]] < at < request.at)
        for request in arrived
    ]
    assert max(overtaken) < 4 * PER_SUBSCRIPTION, overtaken


async def event_ids(db: Database, webhook_id: uuid.UUID) -> list[str]:
    async with db.transaction(writes=False) as session:
        d = WebhookDelivery
        stmt = select(d.event_id).where(d.webhook_id == webhook_id).order_by(d.created_at, d.id)
        return list((await session.scalars(stmt)).all())


async def test_workers_claiming_at_once_never_share_a_delivery(hooks: Runtime, owner: Tenant) -> None:
    subscriptions = [await subscribe(hooks.db, owner.account_id, f"http://127.0.0.1:9/{n}") for n in range(5)]
    await enqueue(hooks.db, subscriptions, 200)  # 1,000 deliveries

    batches = await asyncio.gather(
        *(claim(hooks.db, f"worker-{n}", 150, per_subscription=40) for n in range(6))
    )

    claimed = [delivery for batch in batches for _, delivery in batch]
    assert len(claimed) == len(set(claimed)) == 6 * 150  # every claim full, nothing claimed twice
    for batch in batches:  # round robin: 30 of each subscription (150 / 5)
        assert [sum(1 for w, _ in batch if w == s.id) for s in subscriptions] == [30] * 5
    rest = [delivery for _, delivery in await claim(hooks.db, "latecomer", 1000)]
    assert len(set(claimed) | set(rest)) == 1000


async def test_several_workers_deliver_each_delivery_once(
    hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    subscriptions = [
        await subscribe(hooks.db, owner.account_id, receiver.url(f"/hooks/{n}")) for n in range(4)
    ]
    await enqueue(hooks.db, subscriptions, 300, commits=3)  # 1,200 deliveries
    settings = settings_with(hooks.settings, webhook_concurrency=8)
    async with contextlib.AsyncExitStack() as workers:
        for _ in range(3):
            await workers.enter_async_context(running_worker(settings, hooks.db))
        await receiver.wait_for(1200, within=60)
        await wait_until(lambda: _all_succeeded(hooks.db, subscriptions), "every delivery succeeded")
    sent = [(r.path, r.headers["webhook-id"]) for r in receiver.requests]
    assert len(sent) == len(set(sent)) == 1200


async def _all_succeeded(db: Database, subscriptions: Sequence[Listener]) -> bool:
    async with db.transaction(writes=False) as session:
        d = WebhookDelivery
        stmt = select(func.count()).where(
            d.webhook_id.in_([s.id for s in subscriptions]), d.status == DeliveryStatus.succeeded.value
        )
        return (await session.scalar(stmt)) == 1200


async def test_each_subscriptions_deliveries_are_claimed_and_sent_in_commit_order(
    hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    subscriptions = [
        await subscribe(hooks.db, owner.account_id, receiver.url(f"/ordered/{n}")) for n in range(3)
    ]
    await enqueue(hooks.db, subscriptions, 60, commits=6)
    # Claim by claim, a few of each subscription: together they are each one's commit order.
    claimed: dict[uuid.UUID, list[uuid.UUID]] = {s.id: [] for s in subscriptions}
    while batch := await claim(hooks.db, "worker", 12, per_subscription=5):
        for webhook_id, delivery in batch:
            claimed[webhook_id].append(delivery)
    for s in subscriptions:
        assert claimed[s.id] == await commit_order(hooks.db, s.id)
    await cancel_open_deliveries(hooks.db)
    # A worker with one request in flight sends them in that order too.
    await enqueue(hooks.db, subscriptions, 60, commits=6)
    expected = {s.id: await _open_event_ids(hooks.db, s.id) for s in subscriptions}
    async with running_worker(settings_with(hooks.settings, webhook_concurrency=1), hooks.db):
        await receiver.wait_for(180, within=60)
    for n, s in enumerate(subscriptions):
        assert [r.headers["webhook-id"] for r in receiver.to(f"/ordered/{n}")] == expected[s.id]


async def _open_event_ids(db: Database, webhook_id: uuid.UUID) -> list[str]:
    async with db.transaction(writes=False) as session:
        d = WebhookDelivery
        stmt = (
            select(d.event_id)
            .where(d.webhook_id == webhook_id, d.status == DeliveryStatus.pending.value)
            .order_by(d.created_at, d.id)
        )
        return list((await session.scalars(stmt)).all())
