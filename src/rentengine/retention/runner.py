"""One retention run: every purge, batch after batch, each batch its own short transaction."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.db.session import Database
from rentengine.kit.clock import utc_now
from rentengine.retention import audit, lockbox_events
from rentengine.retention.batches import BATCH_ROWS, Batch, Cursor
from rentengine.settings import Settings
from rentengine.webhooks.delivery import service as deliveries

log = logging.getLogger(__name__)

# Advisory lock keys (namespace, table): a batch whose lock another process holds ends that table's
# run here, since the other process is purging it already (two nodes' workers, or `rentengine purge`).
LOCK_NAMESPACE = 7_346_201
LOCK_KEYS = {"lockbox_events": 1, "audit_entries": 2, "webhook_deliveries": 3}
# On SQLite, the pause between two batches. A writer that found the write lock taken polls for it
# (busy_timeout) at growing intervals of at most 100 ms; a pause that long lets it in before the
# next batch, so it waits about one batch and one poll, not a whole run.
SQLITE_PAUSE_SECONDS = 0.1

BatchPurge = Callable[[AsyncSession, datetime, Cursor | None, int], Awaitable[Batch]]


@dataclass(frozen=True, slots=True)
class Periods:
    """How long each kind of row is kept; None: for good."""

    lockbox_events: timedelta | None
    audit_entries: timedelta | None
    webhook_deliveries: timedelta

    @classmethod
    def of(cls, settings: Settings) -> "Periods":
        return cls(
            lockbox_events=_days(settings.lockbox_event_retention_days),
            audit_entries=_days(settings.audit_retention_days),
            webhook_deliveries=timedelta(days=settings.webhook_retention_days),
        )


@dataclass(slots=True)
class Report:
    """Rows deleted per table by one run (a table another process was purging counts 0)."""

    deleted: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def _days(days: int | None) -> timedelta | None:
    return None if days is None else timedelta(days=days)


async def purge_all(
    db: Database, periods: Periods, *, stop: asyncio.Event | None = None, batch_rows: int = BATCH_ROWS
) -> Report:
    """Runs every purge once, until no expired row is left or `stop` is set."""
    started = time.perf_counter()
    report = Report()
    now = utc_now()
    purges: list[tuple[str, BatchPurge, timedelta | None]] = [
        ("lockbox_events", lockbox_events.purge_batch, periods.lockbox_events),
        ("audit_entries", audit.purge_batch, periods.audit_entries),
    ]
    for table, purge, period in purges:
        if period is not None:
            report.deleted[table] = await purge_table(db, table, purge, now - period, stop, batch_rows)
    report.deleted["webhook_deliveries"] = await purge_deliveries(db, periods.webhook_deliveries, stop)
    report.seconds = time.perf_counter() - started
    return report


async def purge_table(
    db: Database,
    table: str,
    purge: BatchPurge,
    cutoff: datetime,
    stop: asyncio.Event | None = None,
    batch_rows: int = BATCH_ROWS,
) -> int:
    """Rows of `table` created before `cutoff` deleted by `purge`, batch by batch."""
    deleted, cursor = 0, None
    while stop is None or not stop.is_set():
        async with db.transaction() as session:
            if not await _lock(session, table):
                break
            batch = await purge(session, cutoff, cursor, batch_rows)
        deleted += batch.deleted
        if batch.cursor is None:
            break
        cursor = batch.cursor
        await _pause(db)
    if deleted:
        log.info("retention: %d rows deleted from %s", deleted, table)
    return deleted


async def purge_deliveries(db: Database, period: timedelta, stop: asyncio.Event | None = None) -> int:
    """Finished webhook deliveries (and their attempts) past the period, as the worker always did."""
    days = max(1, round(period / timedelta(days=1)))
    deleted = 0
    while stop is None or not stop.is_set():
        async with db.transaction() as session:
            if not await _lock(session, "webhook_deliveries"):
                break
            removed = await deliveries.purge_expired(session, days)
        deleted += removed
        if removed < deliveries.PURGE_CHUNK:
            break
        await _pause(db)
    return deleted


async def _lock(session: AsyncSession, table: str) -> bool:
    """On PostgreSQL, this table's purge lock for the transaction, if no other process holds it.
    SQLite's write transactions already take turns."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    got = await session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:namespace, :key)"),
        {"namespace": LOCK_NAMESPACE, "key": LOCK_KEYS[table]},
    )
    return bool(got)


async def _pause(db: Database) -> None:
    if not db.is_sqlite:
        return
    # The batch's pages are in the WAL; copying them into the database here (a passive checkpoint,
    # which waits for no one) spares the next writer's commit that work, which SQLite would
    # otherwise hand it once the WAL is past its checkpoint threshold.
    async with db.engine.connect() as connection:
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        await connection.commit()
    await asyncio.sleep(SQLITE_PAUSE_SECONDS)
