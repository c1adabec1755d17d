"""The delivery worker: claims due deliveries, sends them, records each outcome.

It runs as an asyncio task inside `rentengine serve` or as `rentengine worker` processes (any
number, on one database). Deliveries are claimed in one statement per claim, up to `capacity` in
hand, round robin across subscriptions and at most `per_subscription` of each per claim; a
subscription whose lane still holds half that many is left out of the claim, and the claim is made
again when its lane runs low. So a subscription with a large backlog (a failing receiver) never
fills the claims: another subscription's new deliveries are in the next claim, which is made as
soon as they are committed. Sends pause while `MAX_UNRECORDED` attempts are started and their
outcomes not yet written, which bounds what a crash leaves sent but unrecorded (sent again: at
least once).

Claimed deliveries go into one lane per subscription. A lane starts its sends in commit order and
keeps a window of them in flight (on as many keep-alive connections): one at first, twice as many
after each success up to `LANE_WINDOW`, one again after any failure, so a failing receiver (a 410,
a timeout) sees one request at a time. Lanes run side by side, all of them together bounded by
`webhook_concurrency`. A failed delivery leaves its lane as soon as it is rescheduled, so it never
holds back the later ones. After several failures in a row the subscription's breaker opens
(breaker.py): the lane's unsent claims are handed back and the subscription is left out of claims
for a pause, so a receiver that is down is probed now and then instead of being sent its backlog.

Outcomes are written by one recorder task, as many per transaction as have queued up (each
outcome whole; the attempts in one multi-row insert, the successes in one update), so a lane does
not wait for a commit before its next request.

The worker wakes when this process commits new deliveries, on PostgreSQL's NOTIFY from other
processes, and otherwise polls at most every second for retries that fell due. On SQLite, whose
commits in other processes wake nobody here, a cheap read looks for due work every 20 ms.
"""

import asyncio
import contextlib
import logging
import os
import signal
import socket
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from rentengine import retention
from rentengine.db.session import Database, async_url, behind_transaction_pooler
from rentengine.kit.clock import utc_now
from rentengine.settings import Settings
from rentengine.webhooks.delivery import service as deliveries
from rentengine.webhooks.delivery.breaker import Breakers
from rentengine.webhooks.delivery.metrics import WebhookMetrics
from rentengine.webhooks.delivery.outbox import NOTIFY_CHANNEL
from rentengine.webhooks.delivery.sender import AttemptResult, Sender
from rentengine.webhooks.delivery.service import Job
from rentengine.webhooks.secrets import keyring_of

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
SQLITE_PEEK_SECONDS = 0.02
# Deliveries claimed (and so in hand) at most; at least 4 x webhook_concurrency.
CLAIM_BATCH = 1024
# Sends of one subscription in flight at once, started in commit order.
LANE_WINDOW = 16
# Deliveries of one subscription per claim, at most: a lane refilled when half of them are left
# keeps its window busy for the time a claim takes, and a backlog cannot crowd out the others.
CLAIMS_PER_WINDOW = 8
# Subscriptions whose last window is remembered (it is only a starting point).
MAX_REMEMBERED_WINDOWS = 100_000
# Outcomes written per transaction at most.
RECORD_BATCH = 500
# Attempts started whose outcome is not written yet (on the wire, or waiting for the recorder), at
# most: sends pause beyond it. What a crash leaves sent but unrecorded is sent again (at least
# once), so this bounds those duplicates; at 64 sends paused for slow recorder commits on a busy
# machine, costing throughput (docs/performance.md).
MAX_UNRECORDED = 256
RETENTION_EVERY_SECONDS = 3600.0
# How long a stopping worker waits for the attempts already on the wire.
STOP_GRACE_SECONDS = 30.0
# The LISTEN connection is pinged this often: a silently dropped connection would otherwise go unnoticed.
LISTEN_CHECK_SECONDS = 10.0
LISTEN_RECONNECT_SECONDS = 2.0
LISTEN_APPLICATION_NAME = "rentengine-worker-listen"


@dataclass
class _Lane:
    """One subscription's claimed deliveries, oldest first, and the tasks sending them."""

    webhook_id: uuid.UUID
    jobs: deque[Job] = field(default_factory=deque)
    senders: int = 0
    window: int = 1  # sends allowed in flight: doubles after a success, back to 1 after a failure


def worker_name() -> str:
    """Unique per worker instance and readable in the lease column: host, pid, random suffix."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class DeliveryWorker:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        metrics: WebhookMetrics | None = None,
        *,
        poll_seconds: float = POLL_SECONDS,
        listen: bool = True,
        max_unrecorded: int = MAX_UNRECORDED,
        per_subscription: int | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        # Built now, so that a malformed RENTENGINE_DATA_ENCRYPTION_KEY stops the worker at its start.
        self.keyring = keyring_of(settings)
        self.metrics = metrics or WebhookMetrics()
        self.name = worker_name()
        self.poll_seconds = poll_seconds
        self.listen = listen
        self.max_unrecorded = max_unrecorded
        # Claimed, not yet sent; claims stop when it reaches the capacity, and start again when it
        # falls to three quarters of it (or at once when the last claim found nothing more): a
        # claim takes tens of milliseconds, which the sends in hand must outlast.
        self.capacity = max(CLAIM_BATCH, 4 * settings.webhook_concurrency)
        self.window = min(LANE_WINDOW, settings.webhook_concurrency)
        self.per_subscription = per_subscription or CLAIMS_PER_WINDOW * self.window
        self._in_hand = 0
        # The ids in hand: a claim may return one again (its lease ran out while it waited in a
        # slow lane), and it must not be queued twice.
        self._held: set[uuid.UUID] = set()
        # Started, outcome not yet written; sends wait while `max_unrecorded` are.
        self._recording = 0
        self._recorded = asyncio.Event()
        self._backlog = False  # the last claim filled the room it had: more may be due now
        self._lanes: dict[uuid.UUID, _Lane] = {}
        # Subscriptions that may have more due than the last claim took (it reached their share, or
        # left them out): a claim is made when their lane runs low.
        self._refill: set[uuid.UUID] = set()
        # The window a subscription's lane had when it last emptied: the next one starts there.
        self._windows: dict[uuid.UUID, int] = {}
        self._breakers = Breakers()
        self.metrics.watch_paused(lambda: len(self._breakers.paused()))
        # Claims a stopping worker never started; their leases are handed back.
        self._unsent: list[uuid.UUID] = []
        self._lane_tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(settings.webhook_concurrency)
        self._outcomes: asyncio.Queue[tuple[Job, AttemptResult]] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._waiting = False
        db.on_delivery_enqueued(self._wake.set)

    def wake(self) -> None:
        self._wake.set()

    def is_idle(self) -> bool:
        """Nothing in hand and waiting: only a wake-up or the poll can start new work."""
        return self._waiting and self._in_hand == 0 and self._recording == 0 and not self._wake.is_set()

    async def start(self) -> None:
        """Runs the worker as a background task of the current event loop (inside the API process)."""
        self._task = asyncio.create_task(self.run(), name=f"webhook-worker {self.name}")

    def request_stop(self) -> None:
        """Stops claiming; attempts on the wire finish, unstarted claims are handed back (signal-safe)."""
        self._stopping.set()
        self._wake.set()

    async def stop(self) -> None:
        self.request_stop()
        if self._task is not None:
            await self._task
            self._task = None

    async def run(self) -> None:
        """Until `stop()`: claim, dispatch to lanes, wait for a wake-up or the poll interval."""
        log.info("webhook worker %s started", self.name)
        async with Sender.open(self.settings) as sender, contextlib.AsyncExitStack() as stack:
            if self.listen and not self.db.is_sqlite:
                stack.push_async_callback(_cancel, asyncio.create_task(self._listen()))
            stack.push_async_callback(_cancel, asyncio.create_task(self._retention()))
            stack.push_async_callback(_cancel, asyncio.create_task(self._record_outcomes()))
            try:
                await self._loop(sender)
            finally:
                await self._drain()
        log.info("webhook worker %s stopped", self.name)

    async def _loop(self, sender: Sender) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            if await self._claim(sender):
                continue  # the batch was full: more may be due right now
            self._waiting = True
            try:
                await self._wait_for_work()
            finally:
                self._waiting = False

    async def _wait_for_work(self) -> None:
        if not self.db.is_sqlite:
            await _first_of(self._wake, seconds=self.poll_seconds)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.poll_seconds
        while (left := deadline - loop.time()) > 0:
            await _first_of(self._wake, seconds=min(SQLITE_PEEK_SECONDS, left))
            if self._wake.is_set() or await self._anything_due():
                return

    async def _anything_due(self) -> bool:
        try:
            async with self.db.transaction(writes=False) as session:
                return await deliveries.any_due(session, self._full_lanes() + self._breakers.paused())
        except Exception:
            log.exception("webhook worker %s: looking for due deliveries failed", self.name)
            return False

    async def _claim(self, sender: Sender) -> bool:
        """Claims as many due deliveries as there is room for; True when the batch came back full."""
        room = self.capacity - self._in_hand
        if room <= 0:
            self._backlog = True
            return False
        full = self._full_lanes()
        try:
            async with self.db.transaction() as session:
                jobs = await deliveries.claim_due(
                    session,
                    self.name,
                    room,
                    self.settings.webhook_lease_seconds,
                    self.keyring,
                    per_subscription=self.per_subscription,
                    skip=full + self._breakers.paused(),
                )
        except Exception:
            # The database may be briefly unreachable; the next poll tries again.
            log.exception("webhook worker %s: claiming deliveries failed", self.name)
            return False
        self._refill.update(full)
        claimed: dict[uuid.UUID, int] = {}
        for job in jobs:
            claimed[job.target.webhook_id] = claimed.get(job.target.webhook_id, 0) + 1
            self._enqueue(job, sender)
        self._refill.update(webhook_id for webhook_id, n in claimed.items() if n >= self.per_subscription)
        self._backlog = len(jobs) == room
        return self._backlog

    def _full_lanes(self) -> list[uuid.UUID]:
        return [lane.webhook_id for lane in self._lanes.values() if self._lane_is_full(lane)]

    def _lane_is_full(self, lane: _Lane) -> bool:
        """Holds half a claim's share or more still to send: left out of claims until it runs low."""
        return 2 * len(lane.jobs) >= self.per_subscription

    def _ran_low(self, lane: _Lane) -> None:
        """A lane that may have more due has fallen below half its share: time for a claim."""
        if lane.webhook_id in self._refill and not self._lane_is_full(lane):
            self._refill.discard(lane.webhook_id)
            self._wake.set()

    def _enqueue(self, job: Job, sender: Sender) -> None:
        if job.id in self._held:
            return  # already queued (the claim renewed its lease)
        self._held.add(job.id)
        self._in_hand += 1
        lane = self._lanes.get(job.target.webhook_id)
        if lane is None:
            window = self._windows.get(job.target.webhook_id, 1)
            lane = self._lanes[job.target.webhook_id] = _Lane(job.target.webhook_id, window=window)
        lane.jobs.append(job)
        self._open_senders(lane, sender)  # else a running sender picks it up in order

    def _open_senders(self, lane: _Lane, sender: Sender) -> None:
        while lane.senders < lane.window and lane.senders < len(lane.jobs):
            lane.senders += 1
            task = asyncio.create_task(self._run_lane(lane, sender))
            self._lane_tasks.add(task)
            task.add_done_callback(self._lane_tasks.discard)

    async def _run_lane(self, lane: _Lane, sender: Sender) -> None:
        """One of the lane's senders (at most its window): each takes the oldest delivery in turn."""
        try:
            while not self._stopping.is_set():
                while self._recording >= self.max_unrecorded:  # the recorder is behind: let it catch up
                    self._recorded.clear()
                    await self._recorded.wait()
                async with self._slots:
                    # Taken only once a slot is held, so that sends start in commit order.
                    if not lane.jobs or self._stopping.is_set() or lane.senders > lane.window:
                        return
                    job = lane.jobs.popleft()
                    self._ran_low(lane)
                    self._recording += 1
                    result = await self._deliver(job, lane, sender)
                self._held.discard(job.id)
                if result is None:
                    self._recording -= 1
                    self._recorded.set()
                    self._done(1)
                    continue
                self._outcomes.put_nowait((job, result))
                self._done(1)
                await self._after(job, result, lane, sender)
        finally:
            lane.senders -= 1
            if lane.senders == 0:
                # Stopping: claims never started are handed back.
                self._unsent.extend(job.id for job in lane.jobs)
                del self._lanes[lane.webhook_id]
                if len(self._windows) >= MAX_REMEMBERED_WINDOWS:
                    self._windows.clear()
                self._windows[lane.webhook_id] = lane.window

    async def _after(self, job: Job, result: AttemptResult, lane: _Lane, sender: Sender) -> None:
        """The lane's window and the subscription's breaker follow each outcome."""
        if result.succeeded:
            self._breakers.close(lane.webhook_id)
            lane.window = min(self.window, 2 * lane.window)
            self._open_senders(lane, sender)
            return
        lane.window = 1
        if job.is_test:
            return  # says nothing about the receiver's health beyond this one request
        if result.status_code == 410:
            # Recording it disables the subscription and cancels the rest of this lane.
            self._breakers.close(lane.webhook_id)
            self._drop_unsent(lane)
            return
        pause = self._breakers.failed(lane.webhook_id, result.retry_after)
        if pause is not None:
            message = "webhook worker %s: subscription %s keeps failing; next attempt in %.0f s"
            log.info(message, self.name, lane.webhook_id, pause)
            asyncio.get_running_loop().call_later(pause, self._wake.set)  # claim it again then
            await self._hand_back(self._drop_unsent(lane))

    def _drop_unsent(self, lane: _Lane) -> list[uuid.UUID]:
        """Takes the lane's unsent claims out of the worker's hands; returns their ids."""
        ids = [job.id for job in lane.jobs]
        self._done(len(ids))
        self._held.difference_update(ids)
        lane.jobs.clear()
        self._refill.discard(lane.webhook_id)
        return ids

    async def _hand_back(self, job_ids: list[uuid.UUID]) -> None:
        """Releases claims at once instead of letting their leases run out (logged when it fails)."""
        if not job_ids:
            return
        try:
            async with self.db.transaction() as session:
                await deliveries.release_leases(session, job_ids, self.name)
        except Exception:
            log.exception("webhook worker %s: handing back %d claims failed", self.name, len(job_ids))

    def _done(self, count: int) -> None:
        """`count` claims left the lanes (sent, or dropped)."""
        self._in_hand -= count
        if self._backlog and self._in_hand <= self.capacity * 3 // 4:
            self._wake.set()  # room for the next batch of what is already due

    async def _deliver(self, job: Job, lane: _Lane, sender: Sender) -> AttemptResult | None:
        """Sends one claimed delivery; None when it was not sent (no longer ours)."""
        try:
            if not await self._still_ours(job, lane):
                return None
            return await sender.attempt(
                job.target, job.event_id, job.payload, test=job.is_test, request_id=job.request_id
            )
        except Exception:
            # The lease renewal failed (e.g. the database went away): the lease runs out, it goes again.
            log.exception("webhook worker %s: delivery %s failed", self.name, job.id)
            return None

    async def _still_ours(self, job: Job, lane: _Lane) -> bool:
        """A delivery that waited in its lane gets its lease renewed before the attempt may outlive it.

        A lease counts as fresh while more than the attempt's timeout (plus 5 s) is left, or half
        the lease when leases are shorter than that. A stale one is renewed together with every
        stale one still queued behind it, in one statement.
        """
        settings = self.settings
        fresh = min(settings.webhook_timeout_seconds + 5, settings.webhook_lease_seconds / 2)
        now = utc_now()
        if (job.lease_expires_at - now).total_seconds() > fresh:
            return True
        stale = [job, *(j for j in lane.jobs if (j.lease_expires_at - now).total_seconds() <= fresh)]
        async with self.db.transaction() as session:
            ours, until = await deliveries.renew_leases(
                session, [j.id for j in stale], self.name, settings.webhook_lease_seconds
            )
        for renewed in stale:
            if renewed.id in ours:
                renewed.lease_expires_at = until
        return job.id in ours

    async def _record_outcomes(self) -> None:
        while True:
            batch = [await self._outcomes.get()]
            while len(batch) < RECORD_BATCH and not self._outcomes.empty():
                batch.append(self._outcomes.get_nowait())
            statuses = await self._write(batch)
            self._recording -= len(batch)
            self._recorded.set()
            for (job, result), status in zip(batch, statuses, strict=True):
                # Test sends measure nothing about the event pipeline, so they stay out of the latency.
                latency = None if job.is_test else (utc_now() - job.created_at).total_seconds()
                self.metrics.observe(result.outcome, status, latency)
                self._outcomes.task_done()

    async def _write(self, batch: list[tuple[Job, AttemptResult]]) -> list[str | None]:
        """Each outcome's new status (None: the claim was lost); one by one if the batch fails."""
        try:
            async with self.db.transaction() as session:
                return await deliveries.record_outcomes(
                    session, batch, self.name, self.settings.webhook_max_retries
                )
        except Exception:
            if len(batch) == 1:
                # Not recorded: the lease runs out and the delivery is sent again (at least once).
                log.exception("webhook worker %s: recording delivery %s failed", self.name, batch[0][0].id)
                return [None]
        return [(await self._write([item]))[0] for item in batch]

    async def _drain(self) -> None:
        """Lets attempts on the wire finish, then hands back the claims that were never started."""
        if self._lane_tasks:
            await asyncio.wait(list(self._lane_tasks), timeout=STOP_GRACE_SECONDS)
        for task in list(self._lane_tasks):
            await _cancel(task)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._outcomes.join(), STOP_GRACE_SECONDS)
        await self._hand_back(self._unsent)

    async def _listen(self) -> None:
        """PostgreSQL LISTEN on a connection of its own, reconnecting whenever it is lost.

        The connection goes straight to the server (RENTENGINE_DATABASE_DIRECT_URL): a pooler in
        transaction mode would hand the server connection that listens to other clients.
        """
        url = self.settings.database_direct_url or self.db.url
        if behind_transaction_pooler(url):
            log.warning(
                "webhook worker %s: no LISTEN through a pooler; set RENTENGINE_DATABASE_DIRECT_URL, or "
                "deliveries committed by other processes wait for the next poll",
                self.name,
            )
            return
        engine = create_async_engine(
            async_url(url),
            poolclass=NullPool,
            connect_args={"server_settings": {"application_name": LISTEN_APPLICATION_NAME}},
        )
        try:
            while not self._stopping.is_set():
                try:
                    await self._listen_once(engine)
                except Exception as exc:
                    log.warning("webhook worker %s: LISTEN connection lost: %s", self.name, exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), LISTEN_RECONNECT_SECONDS)
        finally:
            await engine.dispose()

    async def _listen_once(self, engine: Any) -> None:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            listener: Any = raw.driver_connection  # the asyncpg connection
            lost = asyncio.Event()
            notified: Callable[..., None] = lambda *_: self._wake.set()  # noqa: E731
            listener.add_termination_listener(lambda *_: lost.set())
            await listener.add_listener(NOTIFY_CHANNEL, notified)
            self._wake.set()  # whatever was committed while nobody listened
            while not self._stopping.is_set():
                await _first_of(lost, self._stopping, seconds=LISTEN_CHECK_SECONDS)
                if lost.is_set():
                    raise ConnectionError("the server closed the connection")
                if not self._stopping.is_set():
                    await asyncio.wait_for(listener.fetchval("SELECT 1"), LISTEN_CHECK_SECONDS)

    async def _retention(self) -> None:
        while not self._stopping.is_set():
            try:
                await retention.purge_all(self.db, retention.Periods.of(self.settings), stop=self._stopping)
            except Exception:
                log.exception("webhook worker %s: retention purge failed", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), RETENTION_EVERY_SECONDS)

    async def purge_expired(self) -> int:
        """Deletes finished deliveries past the retention period, one chunk per transaction."""
        total = 0
        while True:
            async with self.db.transaction() as session:
                removed = await deliveries.purge_expired(session, self.settings.webhook_retention_days)
            total += removed
            if removed < deliveries.PURGE_CHUNK or self._stopping.is_set():
                return total


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _first_of(*events: asyncio.Event, seconds: float) -> None:
    """Returns when any of the events is set, or after `seconds`."""
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def run_worker_process(settings: Settings, metrics: WebhookMetrics | None = None, **options: Any) -> None:
    """`rentengine worker`'s event loop: uvloop (as uvicorn's `serve`), which sends about a third
    more deliveries per second of CPU than asyncio's own loop. `options` go to `DeliveryWorker`."""
    import uvloop  # with uvicorn[standard]; imported here, as only this process entry needs it

    uvloop.run(run_until_signalled(settings, metrics, **options))


async def run_until_signalled(
    settings: Settings, metrics: WebhookMetrics | None = None, **options: Any
) -> None:
    """`rentengine worker`: delivers until SIGTERM or SIGINT, then stops gracefully."""
    db = Database(settings.database_url, settings.database_pool_size)
    worker = DeliveryWorker(settings, db, metrics, **options)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, worker.request_stop)
    try:
        await worker.run()
    finally:
        await db.dispose()
