"""The delivery worker: claims due deliveries, sends them, records each outcome.

It runs as an asyncio task inside `rentengine serve` or as `rentengine worker` processes (any
number, on one database). Claimed deliveries go into one lane per subscription: a lane sends its
deliveries one after another in commit order, lanes run side by side, bounded by
`webhook_concurrency`. A failed delivery leaves its lane as soon as it is rescheduled, so it never
holds back the later ones.

Outcomes are written by one recorder task, as many per transaction as have queued up (each
outcome whole), so a lane does not wait for a commit before its next request.

The worker wakes when this process commits new deliveries, on PostgreSQL's NOTIFY from other
processes, and otherwise polls at most every second for retries that fell due. On SQLite, whose
commits in other processes wake nobody here, a cheap read looks for due work every 100 ms.
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
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from rentengine.db.session import Database, async_url
from rentengine.kit.clock import utc_now
from rentengine.settings import Settings
from rentengine.webhooks import delivery_service as deliveries
from rentengine.webhooks.delivery_service import Job
from rentengine.webhooks.metrics import WebhookMetrics
from rentengine.webhooks.outbox import NOTIFY_CHANNEL
from rentengine.webhooks.sender import AttemptResult, Sender

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
SQLITE_PEEK_SECONDS = 0.1
# Outcomes written per transaction at most.
RECORD_BATCH = 100
RETENTION_EVERY_SECONDS = 3600.0
# How long a stopping worker waits for the attempts already on the wire.
STOP_GRACE_SECONDS = 30.0
# The LISTEN connection is pinged this often: a silently dropped connection would otherwise go unnoticed.
LISTEN_CHECK_SECONDS = 10.0
LISTEN_RECONNECT_SECONDS = 2.0
LISTEN_APPLICATION_NAME = "rentengine-worker-listen"


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
    ) -> None:
        self.settings = settings
        self.db = db
        self.metrics = metrics or WebhookMetrics()
        self.name = worker_name()
        self.poll_seconds = poll_seconds
        self.listen = listen
        # Claimed, not yet finished; claims stop when it reaches the capacity.
        self.capacity = 4 * settings.webhook_concurrency
        self._in_hand = 0
        self._lanes: dict[uuid.UUID, deque[Job]] = {}
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
        return self._waiting and self._in_hand == 0 and not self._wake.is_set()

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
                return await deliveries.any_due(session)
        except Exception:
            log.exception("webhook worker %s: looking for due deliveries failed", self.name)
            return False

    async def _claim(self, sender: Sender) -> bool:
        """Claims as many due deliveries as there is room for; True when the batch came back full."""
        room = self.capacity - self._in_hand
        if room <= 0:
            return False
        try:
            async with self.db.transaction() as session:
                jobs = await deliveries.claim_due(
                    session, self.name, room, self.settings.webhook_lease_seconds
                )
        except Exception:
            # The database may be briefly unreachable; the next poll tries again.
            log.exception("webhook worker %s: claiming deliveries failed", self.name)
            return False
        for job in jobs:
            self._enqueue(job, sender)
        return len(jobs) == room

    def _enqueue(self, job: Job, sender: Sender) -> None:
        self._in_hand += 1
        lane = self._lanes.get(job.target.webhook_id)
        if lane is not None:  # its lane is running: it picks this one up in order
            lane.append(job)
            return
        self._lanes[job.target.webhook_id] = deque([job])
        task = asyncio.create_task(self._run_lane(job.target.webhook_id, sender))
        self._lane_tasks.add(task)
        task.add_done_callback(self._lane_tasks.discard)

    async def _run_lane(self, webhook_id: uuid.UUID, sender: Sender) -> None:
        lane = self._lanes[webhook_id]
        try:
            while lane and not self._stopping.is_set():
                job = lane.popleft()
                result = await self._deliver(job, sender)
                if result is None:
                    self._done(1)
                    continue
                self._outcomes.put_nowait((job, result))
                if result.status_code == 410 and not job.is_test:
                    # Recording it disables the subscription and cancels the rest of this lane.
                    self._done(len(lane))
                    lane.clear()
        finally:
            self._unsent.extend(job.id for job in lane)
            del self._lanes[webhook_id]

    def _done(self, count: int) -> None:
        self._in_hand -= count
        self._wake.set()  # room for more claims

    async def _deliver(self, job: Job, sender: Sender) -> AttemptResult | None:
        """Sends one claimed delivery; None when it was not sent (stopping, or no longer ours)."""
        try:
            async with self._slots:
                if self._stopping.is_set():  # it waited for a slot while the worker began to stop
                    self._unsent.append(job.id)
                    return None
                if not await self._still_ours(job):
                    return None
                return await sender.attempt(job.target, job.event_id, job.payload, test=job.is_test)
        except Exception:
            # The lease renewal failed (e.g. the database went away): the lease runs out, it goes again.
            log.exception("webhook worker %s: delivery %s failed", self.name, job.id)
            return None

    async def _still_ours(self, job: Job) -> bool:
        """A delivery that waited in its lane gets its lease renewed before the attempt may outlive it."""
        margin = timedelta(seconds=self.settings.webhook_timeout_seconds + 5)
        if job.lease_expires_at - utc_now() > margin:
            return True
        async with self.db.transaction() as session:
            return await deliveries.renew_lease(
                session, job.id, self.name, self.settings.webhook_lease_seconds
            )

    async def _record_outcomes(self) -> None:
        while True:
            batch = [await self._outcomes.get()]
            while len(batch) < RECORD_BATCH and not self._outcomes.empty():
                batch.append(self._outcomes.get_nowait())
            statuses = await self._write(batch)
            self._done(len(batch))
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
        try:
            async with self.db.transaction() as session:
                await deliveries.release_leases(session, self._unsent, self.name)
        except Exception:
            log.exception("webhook worker %s: handing back %d claims failed", self.name, len(self._unsent))

    async def _listen(self) -> None:
        """PostgreSQL LISTEN on a connection of its own, reconnecting whenever it is lost."""
        engine = create_async_engine(
            async_url(self.db.url),
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
                await self.purge_expired()
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


async def run_until_signalled(settings: Settings, metrics: WebhookMetrics | None = None) -> None:
    """`rentengine worker`: delivers until SIGTERM or SIGINT, then stops gracefully."""
    db = Database(settings.database_url, settings.database_pool_size)
    worker = DeliveryWorker(settings, db, metrics)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, worker.request_stop)
    try:
        await worker.run()
    finally:
        await db.dispose()
