"""Migrations 0011 and 0012 fill what the reports read from the prospects and events already
stored: each prospect's steps, and the funnel's day rows, as the running code keeps them."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from rentengine.db.base import UTCDateTime
from rentengine.db.migrate import upgrade
from rentengine.db.session import Database
from rentengine.prospects import funnel
from rentengine.prospects.milestones import milestone_of
from rentengine.prospects.models import Prospect, ProspectSourceDay
from tests.databases import throwaway_database

T0 = datetime(2031, 3, 1, 23, 0, tzinfo=UTC)
PROSPECTS = sa.table(
    "prospects",
    *(sa.column(name, sa.Integer()) for name in ("id", "account_seq")),
    sa.column("account_id", sa.Uuid()),
    sa.column("status", sa.String()),
    sa.column("source", sa.String()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
EVENTS = sa.table(
    "leasing_events",
    *(sa.column(name, sa.Integer()) for name in ("id", "account_seq", "prospect_id")),
    sa.column("account_id", sa.Uuid()),
    sa.column("event_type", sa.String()),
    sa.column("created_at", UTCDateTime()),
)
SOURCES = ("Zillow", None, "Zillow", "Facebook")
EVENT_TYPES = (
    "Showing Scheduled",
    "Prescreen Rejected - Credit",
    "prescreen rejected",
    "Application Received",
)


async def test_upgrading_fills_the_steps_and_the_day_rows(backend: str, tmp_path: Path) -> None:
    account = uuid.uuid4()
    prospects = [
        {"id": i + 1, "account_seq": i + 1, "account_id": account, "status": "New", "source": source,
         "created_at": T0 + timedelta(hours=i), "updated_at": T0 + timedelta(hours=i)}
        for i, source in enumerate(SOURCES)
    ]  # fmt: skip
    events = [
        {"id": i + 1, "account_seq": i + 1, "prospect_id": 1 + i % 3, "account_id": account,
         "event_type": event_type, "created_at": T0 + timedelta(hours=5 + i)}
        for i, event_type in enumerate(EVENT_TYPES + EVENT_TYPES)
    ]  # fmt: skip
    async with throwaway_database(backend, tmp_path, revision="0010", prefix="rentengine_mig") as url:
        db = Database(url, pool_size=1)
        try:
            async with db.transaction() as session:
                await session.execute(sa.insert(PROSPECTS), prospects)
                await session.execute(sa.insert(EVENTS), events)
            await asyncio.to_thread(upgrade, url)
            async with db.transaction() as session:
                steps = await session.execute(sa.select(Prospect.id, Prospect.milestones))
                stored = {row.id: row.milestones for row in steps}
                days = ProspectSourceDay.__table__
                filled = set(await session.execute(sa.select(days)))
                await funnel.rebuild_days(session, account, {T0.date(), (T0 + timedelta(hours=3)).date()})
                recounted = set(await session.execute(sa.select(days)))
        finally:
            await db.dispose()
    expected = dict.fromkeys(range(1, len(SOURCES) + 1), 0)
    for i, event_type in enumerate(EVENT_TYPES + EVENT_TYPES):
        expected[1 + i % 3] |= milestone_of(event_type)
    assert stored == expected
    assert filled == recounted
    assert len(filled) == 4  # Zillow and no source on the first day; Zillow and Facebook on the second
