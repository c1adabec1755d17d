"""The funnel's day rows (`prospect_source_days`), which the marketing-sources report reads for
whole days: kept by every write exactly as a recount from the prospects gives them."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from rentengine.prospects import funnel
from rentengine.prospects.models import ProspectSourceDay
from rentengine.runtime import Runtime
from tests.factories import Tenant
from tests.leasing.factories import record_event_at
from tests.prospects.factories import prospect_at, update_prospect

T0 = datetime(2031, 3, 1, 22, 0, tzinfo=UTC)  # two hours before a UTC midnight
HOUR = timedelta(hours=1)


async def _rows(runtime: Runtime, account_id: uuid.UUID) -> dict[tuple[Any, ...], tuple[int, ...]]:
    table = ProspectSourceDay.__table__
    async with runtime.db.transaction(writes=False) as session:
        result = await session.execute(select(table).where(table.c.account_id == account_id))
        return {
            (row.day, row.source): tuple(getattr(row, name) for name in funnel.COUNT_COLUMNS)
            for row in result
            if any(getattr(row, name) for name in funnel.COUNT_COLUMNS)
        }


async def _recounted(runtime: Runtime, account_id: uuid.UUID) -> dict[tuple[Any, ...], tuple[int, ...]]:
    async with runtime.db.transaction() as session:
        days = [(T0 + i * timedelta(days=1)).date() for i in range(-1, 4)]
        await funnel.rebuild_days(session, account_id, days)
    return await _rows(runtime, account_id)


async def test_every_write_keeps_the_rows_a_recount_gives(runtime: Runtime, tenant: Tenant) -> None:
    account = tenant.account_id
    sources = ["Zillow", "Zillow", None, "Apartments.com", "Zillow", None]
    prospects = [
        await prospect_at(runtime, account, T0 + i * HOUR, source=source) for i, source in enumerate(sources)
    ]
    steps = [
        (0, "Showing Scheduled"),
        (0, "Showing Scheduled"),  # a step counts once per prospect
        (0, "Application Approved"),
        (2, "Prescreen Rejected - Credit"),
        (3, "Showing Complete"),
        (5, "Contacted"),  # no step
        (1, "Showing Scheduled"),
    ]
    for i, (index, event_type) in enumerate(steps):
        await record_event_at(runtime, prospects[index], event_type, T0 + (10 + i) * HOUR)

    kept = await _rows(runtime, account)
    first_day, second_day = T0.date(), (T0 + 3 * HOUR).date()
    assert kept == {
        (first_day, "Zillow"): (2, 2, 0, 0, 0, 1, 0),
        (second_day, ""): (2, 0, 0, 0, 0, 0, 1),
        (second_day, "Apartments.com"): (1, 0, 1, 0, 0, 0, 0),
        (second_day, "Zillow"): (1, 0, 0, 0, 0, 0, 0),
    }
    assert await _recounted(runtime, account) == kept


async def test_a_change_of_source_moves_the_prospect_and_its_steps(runtime: Runtime, tenant: Tenant) -> None:
    account = tenant.account_id
    moved = await prospect_at(runtime, account, T0, source="Zillow")
    await prospect_at(runtime, account, T0 + HOUR, source="Zillow")
    await record_event_at(runtime, moved, "Showing Scheduled", T0 + 2 * HOUR)
    await update_prospect(runtime, moved, {"source": "Craigslist"})
    kept = await _rows(runtime, account)
    assert kept == {
        (T0.date(), "Zillow"): (1, 0, 0, 0, 0, 0, 0),
        (T0.date(), "Craigslist"): (1, 1, 0, 0, 0, 0, 0),
    }
    assert await _recounted(runtime, account) == kept
