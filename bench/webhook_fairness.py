"""Fair delivery across tenants: a healthy subscription's commit-to-receipt latency while another
tenant's subscription, whose receiver answers every request 500, has a backlog of 100,000 deliveries.

Per backend, on a fresh database, with real processes as users run them (`rentengine serve
--no-worker` with the rate limiter on, `rentengine worker` with the shipped defaults, the receiver
`bench.webhook_receiver`):

1. two tenants: A subscribes to its lockbox events at a healthy receiver path, B at a path the
   receiver always answers 500;
2. without a backlog: a fresh worker, then a steady stream of A's lockbox events through the API
   (`STREAM_EVENTS_PER_SECOND`, batches of 10); latency = arrival at the receiver - the delivery's
   `created_at`;
3. B's backlog: `--backlog` deliveries written in bulk as the outbox writes them (its rows and its
   insert statement, 5,000 per transaction), for one real lockbox event record of B's;
4. with the backlog: a fresh worker starts on it, and once the receiver has refused enough of B's
   for the worker's breaker to open (and so to probe B now and then, which goes on during the
   streams), the same stream for A, twice;
5. without it again: B's open deliveries are cancelled and the same worker serves the stream once
   more. Each figure pools its two streams, so that a machine busier at one end of the run than
   at the other weighs on both alike.

Ratio = A's p99 with B's backlog / A's p99 without (goal: at most 2).

    python -m bench.webhook_fairness [--backlog 100000] [--backends postgresql,sqlite]
"""

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, update

from bench import machine
from bench.counting import enqueued, percentile, received, receiver_stats, table
from bench.databases import BACKENDS, fresh_database, postgres_admin_url
from bench.processes import RENTENGINE, Process, processes
from bench.stack import (
    Stack,
    Tenant,
    another_tenant,
    lockbox_events,
    post_changes,
    prepare,
    server_env,
    start_stack,
)
from rentengine.changes.types import Change
from rentengine.db.session import Database
from rentengine.webhooks.delivery.breaker import FAILURES_TO_OPEN
from rentengine.webhooks.delivery.outbox import Listener, delivery_rows, insert_deliveries
from rentengine.webhooks.models import OPEN_STATUSES, DeliveryStatus, WebhookDelivery

BACKLOG = 100_000
INSERT_CHUNK = 5_000
FAILING_PATH = "/hooks/failing"
STREAM_EVENTS_PER_SECOND = 50
STREAM_SECONDS = 20
STREAM_BATCH = 10
WARMUP_EVENTS = 20
# The worker has met the backlog once the receiver has refused this many of B's deliveries in a row.
BUSY_AFTER = FAILURES_TO_OPEN
WAIT_SECONDS = 300.0


@dataclass(frozen=True)
class Latency:
    p50_ms: float
    p99_ms: float
    events: int


@dataclass(frozen=True)
class FairnessFigures:
    backend: str
    backlog: int
    without: Latency
    with_backlog: Latency
    refused_during_stream: int  # B's requests the receiver answered 500 while A's stream ran
    backlog_untried: int  # B's deliveries never attempted when the stream ended

    @property
    def ratio(self) -> float:
        return self.with_backlog.p99_ms / self.without.p99_ms


def _start_worker(stack: Stack) -> Process:
    stack.workers_started += 1
    return stack.procs.spawn(f"worker-{stack.workers_started}", [str(RENTENGINE), "worker"], stack.env)


async def _failing_subscription(client: httpx.AsyncClient, stack: Stack, tenant: Tenant) -> str:
    """B's subscription to its lockbox events, at the path the receiver refuses; returns its id."""
    response = await client.post(
        f"{stack.api}/webhooks",
        headers=tenant.headers,
        json={
            "account_id": tenant.account_id,
            "url": f"{stack.receiver}{FAILING_PATH}",
            "tables": ["lockbox_events"],
            "event_types": ["INSERT"],
        },
    )
    if response.status_code not in (200, 201):
        raise RuntimeError(f"POST /webhooks: {response.status_code} {response.text}")
    subscription: dict[str, Any] = response.json()
    config = {"secrets": {FAILING_PATH: subscription["signing_secret"]}, "failing_paths": [FAILING_PATH]}
    (await client.post(f"{stack.receiver}/_bench/config", json=config)).raise_for_status()
    return str(subscription["id"])


async def _one_record(client: httpx.AsyncClient, stack: Stack, tenant: Tenant, url: str) -> dict[str, Any]:
    """A real lockbox event record of B's: one event through the API, read back from its delivery."""
    events = lockbox_events(tenant.lockbox_id, tenant.unit_id, 1, "backlog")
    response = await client.post(
        f"{stack.api}/lockbox_events", headers=tenant.headers, json={"events": events}
    )
    if response.status_code != 201:
        raise RuntimeError(f"POST /lockbox_events: {response.status_code} {response.text}")
    db = Database(url, pool_size=1)
    try:
        async with db.transaction(writes=False) as session:
            stmt = select(WebhookDelivery.payload).where(
                WebhookDelivery.account_id == uuid.UUID(tenant.account_id)
            )
            payload = await session.scalar(stmt.limit(1))
    finally:
        await db.dispose()
    if payload is None:
        raise RuntimeError("the event made no delivery")
    record: dict[str, Any] = json.loads(payload)["record"]
    return record


async def _load_backlog(
    url: str, tenant: Tenant, webhook_id: str, record: dict[str, Any], count: int
) -> None:
    """`count` deliveries of B's subscription, as the outbox writes them, INSERT_CHUNK per transaction."""
    account = uuid.UUID(tenant.account_id)
    listener = Listener(uuid.UUID(webhook_id), account, frozenset({"lockbox_events"}), frozenset({"INSERT"}))
    db = Database(url, pool_size=1)
    try:
        for start in range(0, count, INSERT_CHUNK):
            changes = [
                Change.insert("lockbox_events", account, {**record, "id": str(uuid.uuid4())})
                for _ in range(min(INSERT_CHUNK, count - start))
            ]
            async with db.transaction() as session:
                await insert_deliveries(session, delivery_rows(changes, [listener]))
    finally:
        await db.dispose()


async def _cancel_backlog(url: str, webhook_id: str) -> None:
    """B's open deliveries cancelled, as a deleted subscription's are: the backlog is gone."""
    db = Database(url, pool_size=1)
    try:
        async with db.transaction() as session:
            d = WebhookDelivery
            await session.execute(
                update(d)
                .where(d.webhook_id == uuid.UUID(webhook_id), d.status.in_(OPEN_STATUSES))
                .values(status=DeliveryStatus.cancelled.value, lease_owner=None, lease_expires_at=None)
            )
    finally:
        await db.dispose()


async def _untried(url: str, webhook_id: str) -> int:
    db = Database(url, pool_size=1)
    try:
        async with db.transaction(writes=False) as session:
            d = WebhookDelivery
            stmt = select(func.count()).where(
                d.webhook_id == uuid.UUID(webhook_id), d.status == DeliveryStatus.pending.value
            )
            return int(await session.scalar(stmt) or 0)
    finally:
        await db.dispose()


async def _delivered(client: httpx.AsyncClient, stack: Stack, url: str, worker: Process) -> None:
    """Waits (bounded) until the receiver holds every delivery of A's subscription (B's never
    succeed, so the receiver's count of delivered is A's)."""
    deadline = time.monotonic() + WAIT_SECONDS
    expected = (await enqueued(url, stack.account_id)).deliveries
    while True:
        worker.check_alive()
        if int((await receiver_stats(client, stack.receiver))["delivered"]) >= expected:
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the worker did not deliver A's events in time")
        await asyncio.sleep(0.1)


async def _refused(client: httpx.AsyncClient, stack: Stack) -> int:
    return int((await receiver_stats(client, stack.receiver))["failed"])


async def _stream(client: httpx.AsyncClient, stack: Stack, url: str, worker: Process) -> list[float]:
    """A's commit-to-receipt latencies (s) of a steady stream through the API, after a warm-up."""
    await post_changes(client, stack, WARMUP_EVENTS)
    await _delivered(client, stack, url, worker)
    before = set((await enqueued(url, stack.account_id)).created_at)
    events = STREAM_EVENTS_PER_SECOND * STREAM_SECONDS
    pace = STREAM_BATCH / STREAM_EVENTS_PER_SECOND
    await post_changes(client, stack, events, concurrency=4, pace_seconds=pace, batch=STREAM_BATCH)
    await _delivered(client, stack, url, worker)
    created = (await enqueued(url, stack.account_id)).created_at
    arrived = (await received(client, stack.receiver)).first_success
    return [arrived[key] - at for key, at in created.items() if key not in before]


def _latency(seconds: Sequence[float]) -> Latency:
    values = list(seconds)
    return Latency(1000 * percentile(values, 50), 1000 * percentile(values, 99), len(values))


async def _busy(client: httpx.AsyncClient, stack: Stack, worker: Process) -> None:
    """Waits until the worker has been refused BUSY_AFTER of B's deliveries."""
    deadline = time.monotonic() + WAIT_SECONDS
    while await _refused(client, stack) < BUSY_AFTER:
        worker.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError("the worker did not start on the backlog")
        await asyncio.sleep(0.05)


async def measure_fairness(backend: str, admin_url: str | None, backlog: int = BACKLOG) -> FairnessFigures:
    """Both streams of one backend on a fresh database; every process is stopped before it returns."""
    with tempfile.TemporaryDirectory(prefix="rentengine-fairness-") as workdir:
        async with fresh_database(backend, Path(workdir), admin_url) as url:
            with processes(Path(workdir) / f"logs-{backend}") as procs:
                stack = start_stack(procs, server_env(url), [])
                async with httpx.AsyncClient(headers=stack.headers, timeout=120) as client:
                    await prepare(client, stack)
                    tenant = await another_tenant(client, stack)
                    failing = await _failing_subscription(client, stack, tenant)
                    record = await _one_record(client, stack, tenant, url)
                    worker = _start_worker(stack)
                    without = await _stream(client, stack, url, worker)
                    worker.stop()
                    await _load_backlog(url, tenant, failing, record, backlog)
                    worker = _start_worker(stack)
                    await _busy(client, stack, worker)
                    refused_before = await _refused(client, stack)
                    with_backlog = await _stream(client, stack, url, worker)
                    with_backlog += await _stream(client, stack, url, worker)
                    refused = await _refused(client, stack) - refused_before
                    untried = await _untried(url, failing)
                    await _cancel_backlog(url, failing)
                    without += await _stream(client, stack, url, worker)
                    worker.stop()
    return FairnessFigures(backend, backlog, _latency(without), _latency(with_backlog), refused, untried)


HEADERS = [
    "backend", "B's backlog (deliveries)", "A's stream (events/s)", "events each", "p50 without (ms)",
    "p99 without (ms)", "p50 with backlog (ms)", "p99 with backlog (ms)", "p99 with / without",
    "B refused during A's streams", "B's backlog never tried then",
]  # fmt: skip


def _row(f: FairnessFigures) -> list[str]:
    latencies = [f.without.p50_ms, f.without.p99_ms, f.with_backlog.p50_ms, f.with_backlog.p99_ms]
    return [
        f.backend, str(f.backlog), str(STREAM_EVENTS_PER_SECOND), str(f.with_backlog.events),
        *(f"{x:.0f}" for x in latencies), f"{f.ratio:.2f}", str(f.refused_during_stream),
        str(f.backlog_untried),
    ]  # fmt: skip


async def _main(backlog: int, backends: list[str]) -> None:
    admin = postgres_admin_url(start="postgresql" in backends)
    print(f"machine: {machine.describe()}", flush=True)
    figures = []
    for backend in backends:
        load, started = machine.load_average(), time.monotonic()
        figures.append(await measure_fairness(backend, admin, backlog))
        loads = f"load average {load} before, {machine.load_average()} after"
        print(f"{backend}: done in {time.monotonic() - started:.0f} s ({loads})", flush=True)
    print(table(HEADERS, [_row(f) for f in figures]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--backlog", type=int, default=BACKLOG, help="deliveries of the failing subscription")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    args = parser.parse_args()
    asyncio.run(_main(args.backlog, args.backends.split(",")))


if __name__ == "__main__":
    main()
