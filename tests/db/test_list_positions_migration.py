"""Migration 0010 numbers the prospects and leasing events already stored, in id order, and starts
each account's counters after its latest row."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from rentengine.db.base import UTCDateTime
from rentengine.db.migrate import downgrade, upgrade
from rentengine.db.positions import claim_slot
from rentengine.db.session import Database
from rentengine.leasing.models import LeasingEventCounter
from rentengine.prospects.models import ProspectCounter
from tests.databases import throwaway_database

BEFORE = "0009"
T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

# The tables as revision 0009 has them (the models describe the newer schema).
PROSPECTS = sa.table(
    "prospects",
    sa.column("id", sa.Integer()),
    sa.column("account_id", sa.Uuid()),
    sa.column("status", sa.String()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
EVENTS = sa.table(
    "leasing_events",
    sa.column("id", sa.Integer()),
    sa.column("account_id", sa.Uuid()),
    sa.column("prospect_id", sa.Integer()),
    sa.column("event_type", sa.String()),
    sa.column("created_at", UTCDateTime()),
)
COLUMNS = ("id", "account_id", "created_at", "account_seq")


def _at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
async def database_at_0009(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    async with throwaway_database(backend, tmp_path, revision=BEFORE, prefix="rentengine_mig") as url:
        db = Database(url, pool_size=1)
        try:
            yield db
        finally:
            await db.dispose()


async def _store(db: Database, rows: list[tuple[int, uuid.UUID, int]]) -> None:
    """Per (id, account, seconds after T0): a prospect, updated 15 seconds after its creation, and
    an event of it with the same id and time."""
    prospects = [
        {"id": i, "account_id": a, "status": "New", "created_at": _at(s), "updated_at": _at(s + 15)}
        for i, a, s in rows
    ]
    events = [
        {"id": i, "account_id": a, "prospect_id": i, "event_type": "New", "created_at": _at(s)}
        for i, a, s in rows
    ]
    async with db.transaction() as session:
        await session.execute(sa.insert(PROSPECTS), prospects)
        await session.execute(sa.insert(EVENTS), events)


async def _rows(db: Database, table: str) -> dict[int, tuple[Any, ...]]:
    """id -> (account, created_at, account_seq[, updated_at]) as stored after the upgrade."""
    extra = (sa.column("updated_at", UTCDateTime()),) if table == "prospects" else ()
    columns: list[sa.ColumnClause[Any]] = [
        sa.column("id"),
        sa.column("account_id", sa.Uuid()),
        sa.column("created_at", UTCDateTime()),
    ]
    columns += [sa.column("account_seq"), *extra]
    async with db.transaction(writes=False) as session:
        result = await session.execute(sa.select(*columns).select_from(sa.table(table)))
        return {row[0]: tuple(row[1:]) for row in result}


async def _counters(db: Database, table: str) -> dict[uuid.UUID, tuple[int, datetime]]:
    counters = sa.table(
        table,
        sa.column("account_id", sa.Uuid()),
        sa.column("last_seq"),
        sa.column("last_created_at", UTCDateTime()),
    )
    async with db.transaction(writes=False) as session:
        result = await session.execute(sa.select(counters))
        return {row.account_id: (row.last_seq, row.last_created_at) for row in result}


async def test_upgrade_numbers_existing_rows_in_id_order(database_at_0009: Database) -> None:
    db = database_at_0009
    a, b, untouched = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    # The accounts' ids interleave, and A's times go back along its ids (an insert given an
    # earlier `created_at`); equal times tie.
    await _store(db, [(1, a, 10), (2, b, 7), (3, a, 30), (4, a, 20), (5, b, 7), (6, a, 40), (7, a, 5)])
    await asyncio.to_thread(upgrade, db.url)

    # A row created before a lower id of its account takes that row's time: times never go down
    # along the positions, as for rows written from now on.
    expected = {
        1: (a, _at(10), 1),
        2: (b, _at(7), 1),
        3: (a, _at(30), 2),
        4: (a, _at(30), 3),
        5: (b, _at(7), 2),
        6: (a, _at(40), 4),
        7: (a, _at(40), 5),
    }
    assert await _rows(db, "leasing_events") == expected
    prospects = await _rows(db, "prospects")
    assert {i: row[:3] for i, row in prospects.items()} == expected
    # Updated 15 seconds after the stored creation, or at the moved creation time if that is later.
    assert prospects[4][3] == _at(35)
    assert prospects[7][3] == _at(40)
    for table in ("prospect_counters", "leasing_event_counters"):
        assert await _counters(db, table) == {a: (5, _at(40)), b: (2, _at(7))}
    assert untouched not in await _counters(db, "prospect_counters")

    async with db.transaction() as session:
        prospect = await claim_slot(session, ProspectCounter, a, T0)
        event = await claim_slot(session, LeasingEventCounter, b, _at(100))
    assert (prospect.account_seq, prospect.created_at) == (6, _at(40) + timedelta(microseconds=1))
    assert (event.account_seq, event.created_at) == (3, _at(100))


async def test_downgrade_and_upgrade_again_keep_the_rows(database_at_0009: Database) -> None:
    db = database_at_0009
    account = uuid.uuid4()
    await _store(db, [(1, account, 3), (2, account, 2), (3, account, 1)])
    await asyncio.to_thread(upgrade, db.url)
    numbered = await _rows(db, "leasing_events"), await _rows(db, "prospects")
    await asyncio.to_thread(downgrade, db.url, BEFORE)
    async with db.transaction(writes=False) as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(PROSPECTS)) == 3
        assert await session.scalar(sa.select(sa.func.count()).select_from(EVENTS)) == 3
    await asyncio.to_thread(upgrade, db.url)
    assert (await _rows(db, "leasing_events"), await _rows(db, "prospects")) == numbered
    assert sorted(row[2] for row in numbered[0].values()) == [1, 2, 3]
