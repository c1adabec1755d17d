"""The reports' queries. Each reads one index range per account and period (see migration 0011):

- marketing sources: prospects by (account, created_at), covered with their source and milestones;
  upcoming showings by (account, status, planned time);
- showings: by (account, planned time); calls and application groups: by (account, created_at);
- units: the Available units by (account, status);
- one unit's performance: its prospects by unit, and their events, calls and messages by prospect.
"""

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Row, Select, and_, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.applications.models import RentalApplicationGroup
from rentengine.auth.models import Account
from rentengine.communications.models import Call, Message
from rentengine.leasing.models import LeasingEvent
from rentengine.prospects import funnel
from rentengine.prospects.models import Prospect, ProspectSourceDay
from rentengine.showings.models import Showing
from rentengine.units.models import Address, Unit

SCHEDULED = "Scheduled"
COMPLETED = "Completed"
AVAILABLE = "Available"
APPLICATION_REQUESTED = "Application Sent to Prospect"
OUTBOUND = "outbound"
TEXT_MESSAGE = "Text Message"
CLOSED_STATUSES = (
    "Not Interested",
    "Withdrawn",
    "Blocklist Prospect",
    "Unit of Interest Unavailable",
    "Ghosting",
    "Moved In",
    "Prescreen Rejected",
)
MAX_FEEDBACK = 100
Ts = TypeVarTuple("Ts")
AnyRow = Row[*tuple[Any, ...]]


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _within(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


async def source_funnels(
    session: AsyncSession, account_ids: Sequence[uuid.UUID], start: datetime, end: datetime
) -> dict[str | None, Counter[str]]:
    """Per source of the prospects created in [start, end): how many, and how many reached each step.

    The whole UTC days of the period are read from the funnel's day rows; only the partial days at
    either end are counted from the prospects (a covering index range each)."""
    totals: dict[str | None, Counter[str]] = {}
    whole = _whole_days(start, end)
    if whole is None:
        edges = [(start, end)]
    else:
        _add_rows(totals, await session.execute(_day_rows(account_ids, *whole)))
        edges = [(start, _midnight(whole[0])), (_midnight(whole[1]), end)]
    for low, high in edges:
        if low < high:
            _add_rows(totals, await session.execute(_prospect_rows(account_ids, low, high)))
    return totals


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _whole_days(start: datetime, end: datetime) -> tuple[date, date] | None:
    """The UTC days wholly inside [start, end), as [first, last), if there is one."""
    first = start.astimezone(UTC).date()
    if _midnight(first) < start:
        first += timedelta(days=1)
    last = end.astimezone(UTC).date()
    return (first, last) if first < last else None


def _day_rows(account_ids: Sequence[uuid.UUID], first: date, last: date) -> Select[*tuple[Any, ...]]:
    days = ProspectSourceDay
    sums = [func.sum(getattr(days, name)).label(name) for name in funnel.COUNT_COLUMNS]
    return (
        select(days.source, *sums)
        .where(days.account_id.in_(account_ids), days.day >= first, days.day < last)
        .group_by(days.source)
    )


def _prospect_rows(
    account_ids: Sequence[uuid.UUID], start: datetime, end: datetime
) -> Select[*tuple[Any, ...]]:
    reached = [
        _count_if(Prospect.milestones.op("&")(bit) != 0).label(name)
        for name, bit in funnel.STEP_COLUMNS.items()
    ]
    return (
        select(
            Prospect.source,
            func.count().label("leads"),
            *reached,
        )
        .where(Prospect.account_id.in_(account_ids), _within(Prospect.created_at, start, end))
        .group_by(Prospect.source)
    )


def _add_rows(totals: dict[str | None, Counter[str]], rows: Any) -> None:
    for row in rows:
        counts = row._asdict()
        source = counts.pop("source") or None  # no source: null in a prospect, "" in a day row
        totals.setdefault(source, Counter()).update({name: int(value) for name, value in counts.items()})


async def upcoming_by_source(
    session: AsyncSession, account_ids: Sequence[uuid.UUID], start: datetime, end: datetime, now: datetime
) -> dict[str | None, int]:
    """Per source, the prospects created in [start, end) with a showing scheduled from `now` on."""
    stmt = (
        select(Prospect.source, func.count(distinct(Prospect.id)).label("upcoming"))
        .select_from(Showing)
        .join(Prospect, Showing.prospect_id == Prospect.id)
        .where(
            Showing.account_id.in_(account_ids),
            Showing.status == SCHEDULED,
            Showing.planned_date_time >= now,
            _within(Prospect.created_at, start, end),
        )
        .group_by(Prospect.source)
    )
    return {row.source: row.upcoming for row in await session.execute(stmt)}


def _page(stmt: Select[*Ts], limit: int, offset: int) -> Select[*Ts]:
    return stmt.limit(limit + 1).offset(offset)


async def showings_in(
    session: AsyncSession,
    account_ids: Sequence[uuid.UUID],
    start: datetime,
    end: datetime,
    limit: int,
    offset: int,
) -> Sequence[AnyRow]:
    """The showings planned in [start, end) with their prospect and address, by planned time."""
    stmt = (
        select(Showing, Prospect.first_name, Prospect.last_name, Address)
        .join(Prospect, Showing.prospect_id == Prospect.id)
        .join(Unit, Showing.unit_id == Unit.id)
        .join(Address, Unit.address_id == Address.id)
        .where(Showing.account_id.in_(account_ids), _within(Showing.planned_date_time, start, end))
        .order_by(Showing.planned_date_time, Showing.id)
    )
    return (await session.execute(_page(stmt, limit, offset))).all()


async def calls_in(
    session: AsyncSession,
    account_ids: Sequence[uuid.UUID],
    start: datetime,
    end: datetime,
    limit: int,
    offset: int,
) -> Sequence[AnyRow]:
    """The calls made in [start, end) with their prospect's name, if any, oldest first."""
    stmt = (
        select(Call, Prospect.first_name, Prospect.last_name)
        .outerjoin(Prospect, Call.prospect_id == Prospect.id)
        .where(Call.account_id.in_(account_ids), _within(Call.created_at, start, end))
        .order_by(Call.created_at, Call.id)
    )
    return (await session.execute(_page(stmt, limit, offset))).all()


async def available_units(
    session: AsyncSession, account_ids: Sequence[uuid.UUID], limit: int, offset: int
) -> Sequence[AnyRow]:
    """The Available units with their address and their account's time zone, by id."""
    stmt = (
        select(Unit, Address, Account.timezone)
        .join(Address, Unit.address_id == Address.id)
        .join(Account, Unit.account_id == Account.id)
        .where(Unit.account_id.in_(account_ids), Unit.status == AVAILABLE)
        .order_by(Unit.id)
    )
    return (await session.execute(_page(stmt, limit, offset))).all()


async def application_groups_in(
    session: AsyncSession,
    account_ids: Sequence[uuid.UUID],
    start: datetime,
    end: datetime,
    limit: int,
    offset: int,
) -> Sequence[AnyRow]:
    """The application groups created in [start, end) with their lead's name and address."""
    group = RentalApplicationGroup
    stmt = (
        select(group, Prospect.first_name, Prospect.last_name, Address)
        .outerjoin(Prospect, group.lead_prospect_id == Prospect.id)
        .join(Unit, group.unit_id == Unit.id)
        .join(Address, Unit.address_id == Address.id)
        .where(group.account_id.in_(account_ids), _within(group.created_at, start, end))
        .order_by(group.created_at, group.id)
    )
    return (await session.execute(_page(stmt, limit, offset))).all()


async def unit_and_zone(session: AsyncSession, unit_id: int) -> AnyRow | None:
    """The unit and its account's time zone."""
    stmt = select(Unit, Account.timezone).join(Account, Unit.account_id == Account.id)
    return (await session.execute(stmt.where(Unit.id == unit_id))).one_or_none()


def _counted(model: Any, *conditions: ColumnElement[bool]) -> Any:
    return select(func.count()).select_from(model).where(*conditions).scalar_subquery()


def _of_unit_prospects(model: Any, unit: Unit) -> ColumnElement[bool]:
    """Rows of the unit's prospects (the account narrows the index range to the unit's account)."""
    prospects = select(Prospect.id).where(Prospect.unit_id == unit.id)
    return and_(model.account_id == unit.account_id, model.prospect_id.in_(prospects))


async def unit_counts(
    session: AsyncSession, unit: Unit, start: datetime, end: datetime, rent_set_at: datetime, now: datetime
) -> AnyRow:
    """Every count of the unit's leasing performance over [start, end), in one statement."""
    people, visits = Prospect.unit_id == unit.id, Showing.unit_id == unit.id
    groups = RentalApplicationGroup
    still_active = Prospect.status.not_in(CLOSED_STATUSES)
    planned_inside = _within(Showing.planned_date_time, start, end)
    counts = {
        "new_prospects": _counted(Prospect, people, _within(Prospect.created_at, start, end)),
        "since_rent_set": _counted(Prospect, people, Prospect.created_at >= rent_set_at),
        "active": _counted(Prospect, people, Prospect.created_at < end, still_active),
        "scheduled": _counted(Showing, visits, _within(Showing.created_at, start, end)),
        "completed": _counted(Showing, visits, Showing.status == COMPLETED, planned_inside),
        "upcoming": _counted(Showing, visits, Showing.status == SCHEDULED, Showing.planned_date_time >= now),
        "applications_requested": _counted(
            LeasingEvent,
            _of_unit_prospects(LeasingEvent, unit),
            LeasingEvent.event_type == APPLICATION_REQUESTED,
            _within(LeasingEvent.created_at, start, end),
        ),
        "applications_submitted": _counted(
            groups, groups.unit_id == unit.id, _within(groups.submitted_at, start, end)
        ),
        "outbound_texts": _counted(
            Message,
            _of_unit_prospects(Message, unit),
            Message.direction == OUTBOUND,
            Message.channel == TEXT_MESSAGE,
            _within(Message.created_at, start, end),
        ),
        "total_calls": _counted(Call, _of_unit_prospects(Call, unit), _within(Call.created_at, start, end)),
    }
    stmt = select(*(count.label(name) for name, count in counts.items()))
    return (await session.execute(stmt)).one()


async def unit_feedback(
    session: AsyncSession, unit: Unit, start: datetime, end: datetime
) -> Sequence[AnyRow]:
    """The feedback of the unit's showings planned in [start, end), latest first."""
    stmt = (
        select(
            Showing.prospect_id,
            Prospect.first_name,
            Prospect.last_name,
            Showing.planned_date_time,
            Showing.feedback,
        )
        .join(Prospect, Showing.prospect_id == Prospect.id)
        .where(
            Showing.unit_id == unit.id,
            Showing.feedback.is_not(None),
            _within(Showing.planned_date_time, start, end),
        )
        .order_by(Showing.planned_date_time.desc(), Showing.id.desc())
        .limit(MAX_FEEDBACK)
    )
    return (await session.execute(stmt)).all()
