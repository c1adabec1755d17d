"""A purge run as a user meets it: `rentengine purge` beside live writers, two runs at once, the
webhook deliveries' purge as before, and the settings that choose the periods."""

import asyncio
import os
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from pydantic import ValidationError
from sqlalchemy import func, insert, select

from rentengine.db.session import Database
from rentengine.kit.clock import utc_now
from rentengine.kit.ids import new_uuid
from rentengine.lockboxes.models import LockboxEvent
from rentengine.lockboxes.positions import claim_slots
from rentengine.retention import Periods, purge_all
from rentengine.runtime import Runtime
from rentengine.settings import Settings
from rentengine.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from tests.conftest import TEST_SECRET
from tests.factories import make_tenant, make_unit_row
from tests.lockboxes.helpers import event, make_lockboxes, post_events

RENTENGINE = Path(sys.executable).with_name("rentengine")
DAY = timedelta(days=1)
# Old events the purge beside the writers deletes: many batches, so that it runs for a while.
OLD_EVENTS = 40_000
# What a write may wait for while the purge runs: a batch takes tens of milliseconds, a few hundred
# on a loaded machine (and SQLite's writer polls for the lock up to every 100 ms); the whole purge
# takes tens of seconds.
WRITE_BOUND_SECONDS = 2.0


async def seed_old_events(
    rt: Runtime, account_id: uuid.UUID, lockbox_id: uuid.UUID, count: int, at: datetime
) -> None:
    """`count` Generate Code events created from `at` on, a microsecond apart, with their positions
    claimed as on an API insert."""
    for start in range(0, count, 10_000):
        size = min(10_000, count - start)
        async with rt.db.transaction() as session:
            wanted = [at + timedelta(microseconds=start + i) for i in range(size)]
            slots = await claim_slots(session, [account_id] * size, wanted)
            rows = [
                {
                    "id": new_uuid(),
                    "lockbox_id": lockbox_id,
                    "account_id": account_id,
                    "event_type": "Generate Code",
                    "unit_id": None,
                    "event_metadata": None,
                    "created_at": slot.created_at,
                    "account_seq": slot.account_seq,
                }
                for slot in slots
            ]
            await session.execute(insert(LockboxEvent), rows)


async def count_events(db: Database, account_id: uuid.UUID, before: datetime | None = None) -> int:
    """The account's events (created before `before`, when given)."""
    stmt = select(func.count()).select_from(LockboxEvent).where(LockboxEvent.account_id == account_id)
    if before is not None:
        stmt = stmt.where(LockboxEvent.created_at < before)
    async with db.transaction(writes=False) as session:
        count = await session.scalar(stmt)
    return int(count or 0)


async def run_purge(database_url: str, **settings: str) -> tuple[int, dict[str, Any], str]:
    """`rentengine purge` as a process of its own, with only the given settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENTENGINE_")}
    env |= {"RENTENGINE_DATABASE_URL": database_url, "RENTENGINE_SECRET_KEY": TEST_SECRET, **settings}
    process = await asyncio.create_subprocess_exec(
        str(RENTENGINE), "purge", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode is not None
    return process.returncode, orjson.loads(stdout) if stdout else {}, stderr.decode()


async def test_writes_during_a_purge_of_many_rows_wait_at_most_a_batch(
    rt: Runtime, api: httpx.AsyncClient
) -> None:
    tenant = await make_tenant(rt)
    unit = await make_unit_row(rt, tenant.account_id)
    [box] = await make_lockboxes(api, tenant, "RUN-1")
    await seed_old_events(rt, tenant.account_id, uuid.UUID(box["id"]), OLD_EVENTS, utc_now() - 40 * DAY)
    purge = asyncio.create_task(
        run_purge(rt.settings.database_url, RENTENGINE_LOCKBOX_EVENT_RETENTION_DAYS="30")
    )
    waits: list[float] = []
    deleting: list[float] = []  # when each write that overlapped the deletions started
    while not purge.done():
        left = await count_events(rt.db, tenant.account_id, before=utc_now() - 30 * DAY)
        started = time.perf_counter()
        await post_events(api, tenant, event(box, unit, "Install" if len(waits) % 2 == 0 else "Uninstall"))
        if 0 < left < OLD_EVENTS:  # old events were being deleted
            waits.append(time.perf_counter() - started)
            deleting.append(started)
        await asyncio.sleep(0.01)
    code, printed, stderr = await purge

    assert code == 0, stderr
    assert printed["deleted"]["lockbox_events"] == OLD_EVENTS
    assert printed["kept_for_good"] == ["audit_entries"]
    assert len(waits) >= 5, f"only {len(waits)} writes overlapped the purge"
    span = deleting[-1] - deleting[0]
    slowest = [round(wait, 3) for wait in sorted(waits)[-3:]]
    print(f"{len(waits)} writes over {span:.1f} s of deletions; slowest {slowest}")
    # Each write waited for a batch or so, never for the purge as a whole.
    assert max(waits) < WRITE_BOUND_SECONDS, sorted(waits)[-5:]
    assert max(waits) < span / 4, (max(waits), span)
    assert await count_events(rt.db, tenant.account_id) >= len(waits)  # every write is there


async def test_two_purges_at_once_delete_each_row_once(rt: Runtime, api: httpx.AsyncClient) -> None:
    tenant = await make_tenant(rt)
    [box] = await make_lockboxes(api, tenant, "RUN-2")
    await seed_old_events(rt, tenant.account_id, uuid.UUID(box["id"]), 5_000, utc_now() - 40 * DAY)
    other = Database(rt.settings.database_url, pool_size=2)  # as a second node would
    periods = Periods(lockbox_events=30 * DAY, audit_entries=None, webhook_deliveries=30 * DAY)
    try:
        reports = await asyncio.gather(
            purge_all(rt.db, periods, batch_rows=200), purge_all(other, periods, batch_rows=200)
        )
    finally:
        await other.dispose()
    # PostgreSQL: a run stops where it finds the other purging (SQLite: their batches take turns);
    # a later run finishes what is left, and no row is counted twice.
    finished = await purge_all(rt.db, periods)
    deleted = [r.deleted["lockbox_events"] for r in reports] + [finished.deleted["lockbox_events"]]
    assert sum(deleted) == 5_000
    assert await count_events(rt.db, tenant.account_id) == 0


async def _subscription(db: Database, account_id: uuid.UUID) -> uuid.UUID:
    async with db.transaction() as session:
        row = WebhookSubscription(
            account_id=account_id,
            url="http://127.0.0.1:9/hook",
            tables=["units"],
            event_types=["INSERT"],
            signing_secret_sealed="sealed",
        )
        session.add(row)
        await session.flush()
        return row.id


async def _delivery(
    db: Database, webhook_id: uuid.UUID, account_id: uuid.UUID, status: str, at: datetime
) -> uuid.UUID:
    row_id = new_uuid()
    async with db.transaction() as session:
        session.add(
            WebhookDelivery(
                id=row_id,
                webhook_id=webhook_id,
                account_id=account_id,
                event_id=f"msg_{row_id.hex}",
                table="units",
                type="INSERT",
                payload="{}",
                status=status,
                attempt_count=1,
                next_attempt_at=at if status == "retrying" else None,
                created_at=at,
                updated_at=at,
            )
        )
        await session.flush()
        session.add(WebhookAttempt(delivery_id=row_id, attempt_number=1, attempted_at=at))
    return row_id


async def test_finished_deliveries_past_the_period_go_with_their_attempts(rt: Runtime) -> None:
    tenant = await make_tenant(rt)
    hook = await _subscription(rt.db, tenant.account_id)
    old, recent = utc_now() - 31 * DAY, utc_now() - 29 * DAY
    gone = [
        await _delivery(rt.db, hook, tenant.account_id, status, old)
        for status in ("succeeded", "dead_lettered")
    ]
    kept = [
        await _delivery(rt.db, hook, tenant.account_id, "retrying", old),  # not finished: never purged
        await _delivery(rt.db, hook, tenant.account_id, "succeeded", recent),
    ]

    report = await purge_all(rt.db, Periods.of(rt.settings))

    assert report.deleted["webhook_deliveries"] == 2
    async with rt.db.transaction(writes=False) as session:
        left = set((await session.scalars(select(WebhookDelivery.id))).all())
        attempts = (
            await session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(gone)))
        ).all()
    assert left == set(kept)
    assert attempts == []


def test_periods_are_unset_by_default_and_set_in_days(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Periods.of(Settings(secret_key=TEST_SECRET)) == Periods(None, None, 30 * DAY)
    monkeypatch.setenv("RENTENGINE_AUDIT_RETENTION_DAYS", "365")
    monkeypatch.setenv("RENTENGINE_LOCKBOX_EVENT_RETENTION_DAYS", "off")
    assert Periods.of(Settings(secret_key=TEST_SECRET)) == Periods(None, 365 * DAY, 30 * DAY)
    monkeypatch.setenv("RENTENGINE_LOCKBOX_EVENT_RETENTION_DAYS", "0")
    with pytest.raises(ValidationError, match="lockbox_event_retention_days"):
        Settings(secret_key=TEST_SECRET)
