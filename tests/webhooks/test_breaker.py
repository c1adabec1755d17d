"""The breaker per subscription: a receiver that refuses everything is probed now and then, its
backlog stays due without spending retries, other subscriptions are served meanwhile, and the
backlog goes out once the receiver answers again. The rules first, on a fake clock; then a real
worker, on both databases, against a real local receiver."""

import itertools
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from rentengine.db.session import Database
from rentengine.runtime import Runtime
from rentengine.webhooks.delivery.breaker import FAILURES_TO_OPEN, Breakers
from rentengine.webhooks.delivery.metrics import WebhookMetrics
from rentengine.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.factories import Tenant
from tests.hooks import hooks
from tests.webhooks.backlog import enqueue, subscribe
from tests.webhooks.receiver import Receiver, Reply, cancel_open_deliveries, running_worker, wait_until

__all__ = ["hooks"]  # the module's database, from tests.hooks
SUBSCRIPTION = uuid.UUID(int=1)
BACKLOG = 300
DOWN, UP = "/down", "/up"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(breakers: Breakers, times: int, retry_after: float | None = None) -> list[float | None]:
    return [breakers.failed(SUBSCRIPTION, retry_after) for _ in range(times)]


def test_it_opens_after_failures_in_a_row_and_each_failed_probe_doubles_the_pause() -> None:
    clock = FakeClock()
    breakers = Breakers(clock, failures_to_open=5, first_pause=1, max_pause=30)

    assert fail(breakers, 5) == [None, None, None, None, 1]
    assert breakers.paused() == [SUBSCRIPTION]
    pauses: list[float] = []
    for _ in range(7):
        clock.now += pauses[-1] if pauses else 1
        assert breakers.paused() == []  # the pause is over: the next claim takes it again
        pauses.append(breakers.failed(SUBSCRIPTION) or 0.0)
    assert pauses == [2, 4, 8, 16, 30, 30, 30]


def test_a_success_closes_it_and_the_count_starts_again() -> None:
    breakers = Breakers(FakeClock(), failures_to_open=3)
    fail(breakers, 2)
    breakers.close(SUBSCRIPTION)
    assert fail(breakers, 2) == [None, None]
    assert breakers.paused() == []


def test_failures_of_attempts_already_in_flight_do_not_lengthen_the_pause() -> None:
    clock = FakeClock()
    breakers = Breakers(clock, failures_to_open=2, first_pause=1)
    assert fail(breakers, 2 + 14) == [None, 1] + [None] * 14  # a window of 16 coming back
    clock.now += 1
    assert breakers.failed(SUBSCRIPTION) == 2


def test_the_receivers_retry_after_is_honoured_within_the_cap() -> None:
    breakers = Breakers(FakeClock(), failures_to_open=1, first_pause=1, max_pause=30)
    assert breakers.failed(SUBSCRIPTION, retry_after=12) == 12
    other = Breakers(FakeClock(), failures_to_open=1, first_pause=1, max_pause=30)
    assert other.failed(SUBSCRIPTION, retry_after=3600) == 30


def test_an_open_breaker_closed_is_no_longer_paused() -> None:
    breakers = Breakers(FakeClock(), failures_to_open=1)
    fail(breakers, 1)
    assert breakers.paused() == [SUBSCRIPTION]
    breakers.close(SUBSCRIPTION)  # a 410 disabled the subscription, or a probe succeeded
    assert breakers.paused() == []


@pytest.fixture(autouse=True)
async def _nothing_left_due(hooks: Runtime) -> AsyncIterator[None]:
    yield
    await cancel_open_deliveries(hooks.db)


async def test_a_receiver_that_is_down_is_probed_and_gets_its_backlog_once_it_is_back(
    hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    down = await subscribe(hooks.db, owner.account_id, receiver.url(DOWN))
    up = await subscribe(hooks.db, owner.account_id, receiver.url(UP))
    unavailable = Reply(503)  # no Retry-After: each refused delivery is due again in about 12 s
    receiver.respond = lambda request: unavailable if request.path == DOWN else Reply()
    await enqueue(hooks.db, [down], BACKLOG)
    metrics = WebhookMetrics()
    async with running_worker(hooks.settings, hooks.db, metrics=metrics):
        await receiver.wait_for(FAILURES_TO_OPEN + 2, DOWN, within=30)  # opened, then two probes
        await enqueue(hooks.db, [up], 20)
        await receiver.wait_for(20, UP, within=30)  # served while the other one is down
        # A retry spent on each request sent, and on nothing else of the backlog.
        await wait_until(
            lambda: attempts_are(hooks.db, down.id, len(receiver.to(DOWN))), "the refusals recorded"
        )
        refused = len(receiver.to(DOWN))
        receiver.respond = lambda request: Reply()
        await wait_until(lambda: succeeded(hooks.db, down.id, BACKLOG), "the backlog delivered", within=90)
    requests = receiver.to(DOWN)
    gaps = [b.at - a.at for a, b in itertools.pairwise(requests)]
    # Five refusals in a row, then a probe after a pause of 1 s, the next after 2 s: however slow
    # the machine, never sooner (without the breaker: the backlog one request after another).
    assert gaps[FAILURES_TO_OPEN - 1] >= 0.95
    assert gaps[FAILURES_TO_OPEN] >= 1.95
    # The pauses double to 30 s: within this test's waits, a handful of probes, never the backlog.
    assert refused < FAILURES_TO_OPEN + 10
    # Every delivery of the backlog arrived; the refused ones once more when due again.
    assert len({r.headers["webhook-id"] for r in requests}) == BACKLOG
    assert len(requests) == BACKLOG + refused


async def test_the_paused_gauge_counts_subscriptions_left_out(
    hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    down = await subscribe(hooks.db, owner.account_id, receiver.url(DOWN))
    receiver.respond = lambda request: Reply(500, headers={"Retry-After": "30"})
    await enqueue(hooks.db, [down], 50)
    metrics = WebhookMetrics()
    async with running_worker(hooks.settings, hooks.db, metrics=metrics):
        await receiver.wait_for(FAILURES_TO_OPEN, DOWN, within=30)
        await wait_until(lambda: gauge_reads(metrics, 1), "the gauge shows the paused subscription")
        assert b"rentengine_webhook_paused_subscriptions 1.0" in metrics.render()
        await wait_until(lambda: attempts_are(hooks.db, down.id, FAILURES_TO_OPEN), "the refusals recorded")
        assert len(receiver.to(DOWN)) == FAILURES_TO_OPEN  # the receiver asked for 30 s: nothing since


async def gauge_reads(metrics: WebhookMetrics, value: float) -> bool:
    [family] = metrics.paused.collect()
    return bool(family.samples[0].value == value)


async def attempts_are(db: Database, webhook_id: uuid.UUID, count: int) -> bool:
    """Whether the subscription's deliveries have recorded `count` attempts in all."""
    async with db.transaction(writes=False) as session:
        d = WebhookDelivery
        stmt = select(func.coalesce(func.sum(d.attempt_count), 0)).where(d.webhook_id == webhook_id)
        return int(await session.scalar(stmt) or 0) == count


async def succeeded(db: Database, webhook_id: uuid.UUID, count: int) -> bool:
    async with db.transaction(writes=False) as session:
        d = WebhookDelivery
        stmt = select(func.count()).where(
            d.webhook_id == webhook_id, d.status == DeliveryStatus.succeeded.value
        )
        return (await session.scalar(stmt)) == count
