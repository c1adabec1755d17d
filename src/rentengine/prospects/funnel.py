"""The lead-source funnel by day: per account, UTC day of creation and source, how many prospects
were created and how many of them have reached each pipeline step (`rentengine.prospects.milestones`).

The marketing-sources report (API.md §15.2) covers up to 32 days, which for a busy account is tens
of thousands of prospects; it reads these rows for the whole days of its period instead (32 days by
its sources), and the prospects themselves only for the partial days at either end. The rows are
kept exact in the writing transaction: a new prospect counts once in its day, a step once when its
bit is first set, and a change of source moves the prospect between rows. Bulk loads rebuild the
days they touched with `rebuild_days`.
"""

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, Table, Uuid, case, delete, func, insert, literal, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.prospects import milestones
from rentengine.prospects.models import Prospect, ProspectSourceDay

NO_SOURCE = ProspectSourceDay.NO_SOURCE
STEP_COLUMNS: Mapping[str, int] = {
    "showings_scheduled": milestones.SHOWING_SCHEDULED,
    "showings_completed": milestones.SHOWING_COMPLETED,
    "applications_requested": milestones.APPLICATION_REQUESTED,
    "applications_submitted": milestones.APPLICATION_SUBMITTED,
    "apps_approved": milestones.APPLICATION_APPROVED,
    "rejected_prescreens": milestones.PRESCREEN_REJECTED,
}
COUNT_COLUMNS = ("leads", *STEP_COLUMNS)
STEP_BITS = tuple(STEP_COLUMNS.values())
_UPSERTS: Mapping[str, Callable[..., Any]] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_DAYS_PER_STATEMENT = 400  # days rebuilt by one statement
_TABLE: Table = ProspectSourceDay.__table__  # type: ignore[assignment]


def utc_day(instant: datetime) -> date:
    return instant.astimezone(UTC).date()


def _counts(reached: int) -> dict[str, int]:
    """The counts one prospect adds: itself, and one per step in `reached`."""
    return {"leads": 1} | {name: 1 if reached & bit else 0 for name, bit in STEP_COLUMNS.items()}


async def _add(
    session: AsyncSession, account_id: uuid.UUID, day: date, source: str | None, counts: Mapping[str, int]
) -> None:
    table = _TABLE
    upsert = _UPSERTS[session.get_bind().dialect.name](table)
    key = {"account_id": account_id, "day": day, "source": source or NO_SOURCE}
    stmt = upsert.values(**key, **{name: counts.get(name, 0) for name in COUNT_COLUMNS})
    changed = {name: table.c[name] + count for name, count in counts.items() if count}
    await session.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=changed))


async def count_prospect(session: AsyncSession, prospect: Prospect) -> None:
    """Counts a new prospect (and any step it has already reached) in its day."""
    counts = _counts(prospect.milestones or 0)
    await _add(session, prospect.account_id, utc_day(prospect.created_at), prospect.source, counts)


async def count_step(session: AsyncSession, prospect: Prospect, bit: int) -> None:
    """Counts a step the prospect has just reached for the first time."""
    name = next(name for name, step in STEP_COLUMNS.items() if step == bit)
    await _add(session, prospect.account_id, utc_day(prospect.created_at), prospect.source, {name: 1})


async def rebuild_days(session: AsyncSession, account_id: uuid.UUID, days: Iterable[date]) -> None:
    """Recomputes the account's rows of these days from its prospects (after a bulk write)."""
    wanted = sorted(set(days))
    table = _TABLE
    day = _day_of(Prospect.created_at, session.get_bind().dialect.name)
    # Inline, so that PostgreSQL sees the grouped and the selected expression as one.
    source = func.coalesce(Prospect.source, literal_column(f"'{NO_SOURCE}'"))
    target = [table.c.account_id, table.c.day, table.c.source, *(table.c[name] for name in COUNT_COLUMNS)]
    for first in range(0, len(wanted), _DAYS_PER_STATEMENT):
        chunk = wanted[first : first + _DAYS_PER_STATEMENT]
        await session.execute(delete(table).where(table.c.account_id == account_id, table.c.day.in_(chunk)))
        totals = (
            select(literal(account_id, Uuid()), day, source, func.count(), *map(_with_bit, STEP_BITS))
            .where(
                Prospect.account_id == account_id,
                Prospect.created_at >= datetime.combine(chunk[0], time(), tzinfo=UTC),
                Prospect.created_at < datetime.combine(chunk[-1] + timedelta(days=1), time(), tzinfo=UTC),
            )
            .group_by(day, source)
            .having(day.in_(chunk))
        )
        await session.execute(insert(table).from_select(target, totals))


def _day_of(column: Any, dialect: str) -> Any:
    """The UTC day of a stored instant, in SQL (SQLite stores UTC text, PostgreSQL `timestamptz`)."""
    if dialect == "sqlite":
        return func.date(column, type_=Date)
    return func.date(func.timezone("UTC", column), type_=Date)


def _with_bit(bit: int) -> Any:
    return func.coalesce(func.sum(case((Prospect.milestones.op("&")(bit) != 0, 1), else_=0)), 0)
