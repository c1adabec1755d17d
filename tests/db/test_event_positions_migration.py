"""Migration 0004 numbers the lockbox events already stored and starts each account's counter."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict

import pytest
import sqlalchemy as sa

from rentengine.db.base import UTCDateTime
from rentengine.db.migrate import downgrade, upgrade
from rentengine.db.session import Database
from rentengine.lockboxes.positions import claim_slots
from tests.databases import throwaway_database

BEFORE = "0003"
T0 = datetime(2024, 10, 5, 18, 0, tzinfo=UTC)

# The tables as revision 0003 has them (the models describe the newer schema).
LOCKBOXES = sa.table(
    "lockboxes",
    sa.column("id", sa.Uuid()),
    sa.column("account_id", sa.Uuid()),
    sa.column("lockbox_type", sa.String()),
    sa.column("serial_number", sa.String()),
    sa.column("code_secret", sa.LargeBinary()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
EVENTS = sa.table(
    "lockbox_events",
    sa.column("id", sa.Uuid()),
    sa.column("lockbox_id", sa.Uuid()),
    sa.column("account_id", sa.Uuid()),
    sa.column("event_type", sa.String()),
    sa.column("created_at", UTCDateTime()),
)
POSITIONED = sa.table(
    "lockbox_events", sa.column("id", sa.Uuid()), sa.column("account_id", sa.Uuid()), sa.column("account_seq")
)
COUNTERS = sa.table(
    "lockbox_event_counters",
    sa.column("account_id", sa.Uuid()),
    sa.column("last_seq"),
    sa.column("last_created_at", UTCDateTime()),
)


class EventRow(TypedDict):
    id: uuid.UUID
    lockbox_id: uuid.UUID
    account_id: uuid.UUID
    event_type: str
    created_at: datetime


@pytest.fixture
async def database_at_0003(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    async with throwaway_database(backend, tmp_path, revision=BEFORE, prefix="rentengine_mig") as url:
        db = Database(url, pool_size=1)
        try:
            yield db
        finally:
            await db.dispose()


def _events(account_id: uuid.UUID, lockbox_id: uuid.UUID, offsets: list[int]) -> list[EventRow]:
    """Events at T0 + offset seconds; equal offsets tie on created_at and are ordered by id."""
    return [
        EventRow(
            id=uuid.uuid4(),
            lockbox_id=lockbox_id,
            account_id=account_id,
            event_type="Install",
            created_at=T0 + timedelta(seconds=offset),
        )
        for offset in offsets
    ]


async def _store(db: Database, accounts: list[uuid.UUID], offsets: list[list[int]]) -> list[EventRow]:
    boxes: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "account_id": account,
            "lockbox_type": "Sentrilock",
            "serial_number": "M-1",
            "code_secret": bytes(32),
            "created_at": T0,
            "updated_at": T0,
        }
        for account in accounts
    ]
    rows = [
        row for box, o in zip(boxes, offsets, strict=True) for row in _events(box["account_id"], box["id"], o)
    ]
    async with db.transaction() as session:
        await session.execute(sa.insert(LOCKBOXES), boxes)
        await session.execute(sa.insert(EVENTS), rows)
    return rows


async def _positions(db: Database) -> dict[uuid.UUID, int]:
    async with db.transaction(writes=False) as session:
        result = await session.execute(sa.select(POSITIONED.c.id, POSITIONED.c.account_seq))
        return {row.id: row.account_seq for row in result}


async def _counters(db: Database) -> dict[uuid.UUID, tuple[int, datetime]]:
    async with db.transaction(writes=False) as session:
        result = await session.execute(sa.select(COUNTERS))
        return {row.account_id: (row.last_seq, row.last_created_at) for row in result}


async def test_upgrade_numbers_existing_events_in_listing_order(database_at_0003: Database) -> None:
    db = database_at_0003
    first, second, untouched = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    # Inserted out of time order, with ties; the third account has no events.
    rows = await _store(db, [first, second], [[30, 10, 20, 10, 50, 10, 40], [5, 1, 5]])
    await asyncio.to_thread(upgrade, db.url)

    expected: dict[uuid.UUID, int] = {}
    for account in (first, second):
        mine = sorted(
            (r for r in rows if r["account_id"] == account), key=lambda r: (r["created_at"], r["id"])
        )
        expected.update({row["id"]: seq for seq, row in enumerate(mine, start=1)})
    assert await _positions(db) == expected
    assert await _counters(db) == {
        first: (7, T0 + timedelta(seconds=50)),
        second: (3, T0 + timedelta(seconds=5)),
    }
    assert untouched not in await _counters(db)

    async with db.transaction() as session:
        [slot] = await claim_slots(session, [first], [T0])
    assert (slot.account_seq, slot.created_at) == (8, T0 + timedelta(seconds=50, microseconds=1))


async def test_downgrade_and_upgrade_again_keep_the_events(database_at_0003: Database) -> None:
    db = database_at_0003
    account = uuid.uuid4()
    await _store(db, [account], [[3, 2, 1]])
    await asyncio.to_thread(upgrade, db.url)
    numbered = await _positions(db)
    await asyncio.to_thread(downgrade, db.url, BEFORE)
    async with db.transaction(writes=False) as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(EVENTS)) == 3
    await asyncio.to_thread(upgrade, db.url)
    assert await _positions(db) == numbered
    assert sorted(numbered.values()) == [1, 2, 3]
