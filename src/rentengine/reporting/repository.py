"""The reports' queries. Each reads one index range per account and period (see migration 0011):

- marketing sources: prospects by (account, created_at), covered with their source and milestones;
  upcoming showings by (account, status, planned time);
- showings: by (account, planned time); calls and application groups: by (account, created_at);
- units: the Available units by (account, status);
- one unit's performance: its prospects by unit, and their events, calls and messages by prospect.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Row, Select, and_, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.applications.models import RentalApplicationGroup
from rentengine.auth.models import Account
from rentengine.communications.models import Call, Message
from rentengine.leasing.models import LeasingEvent
from rentengine.prospects import milestones
from rentengine.prospects.models import Prospect
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
MILESTONE_COLUMNS = {
    "showings_scheduled": milestones.SHOWING_SCHEDULED,
    "showings_completed": milestones.SHOWING_COMPLETED,
    "applications_requested": milestones.APPLICATION_REQUESTED,
    "applications_submitted": milestones.APPLICATION_SUBMITTED,
    "apps_approved": milestones.APPLICATION_APPROVED,
    "rejected_prescreens": milestones.PRESCREEN_REJECTED,
}


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _within(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


async def source_funnels(
    session: AsyncSession, account_ids: Sequence[uuid.UUID], start: datetime, end: datetime
) -> Sequence[AnyRow]:
    """Per source of the prospects created in [start, end): how many, and how many reached each step."""
    reached = [
        _count_if(Prospect.milestones.op("&")(bit) != 0).label(name)
        for name, bit in MILESTONE_COLUMNS.items()
    ]
    stmt = (
        select(Prospect.source, func.count().label("leads"), *reached)
        .where(Prospect.account_id.in_(account_ids), _within(Prospect.created_at, start, end))
        .group_by(Prospect.source)
    )
    return (await session.execute(stmt)).all()


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


async def unit_prospect_counts(
    session: AsyncSession, unit: Unit, start: datetime, end: datetime, rent_set_at: datetime
) -> AnyRow:
    """The unit's prospects: created in [start, end), since the rent was set, and still active."""
    stmt = select(
        _count_if(_within(Prospect.created_at, start, end)).label("new_prospects"),
        _count_if(Prospect.created_at >= rent_set_at).label("since_rent_set"),
        _count_if(and_(Prospect.created_at < end, Prospect.status.not_in(CLOSED_STATUSES))).label("active"),
    ).where(Prospect.unit_id == unit.id)
    return (await session.execute(stmt)).one()


async def unit_showing_counts(
    session: AsyncSession, unit: Unit, start: datetime, end: datetime, now: datetime
) -> AnyRow:
    """The unit's showings: booked in [start, end), completed in it, and still ahead."""
    stmt = select(
        _count_if(_within(Showing.created_at, start, end)).label("scheduled"),
        _count_if(and_(Showing.status == COMPLETED, _within(Showing.planned_date_time, start, end))).label(
            "completed"
        ),
        _count_if(and_(Showing.status == SCHEDULED, Showing.planned_date_time >= now)).label("upcoming"),
    ).where(Showing.unit_id == unit.id)
    return (await session.execute(stmt)).one()


def _of_unit_prospects(account_column: Any, prospect_column: Any, unit: Unit) -> ColumnElement[bool]:
    """Rows of the unit's prospects (the account narrows the index range to the unit's account)."""
    prospects = select(Prospect.id).where(Prospect.unit_id == unit.id)
    return and_(account_column == unit.account_id, prospect_column.in_(prospects))


async def unit_activity_counts(session: AsyncSession, unit: Unit, start: datetime, end: datetime) -> AnyRow:
    """Applications requested, applications submitted, outbound texts and calls in [start, end)."""
    requested = select(func.count()).where(
        _of_unit_prospects(LeasingEvent.account_id, LeasingEvent.prospect_id, unit),
        LeasingEvent.event_type == APPLICATION_REQUESTED,
        _within(LeasingEvent.created_at, start, end),
    )
    submitted = select(func.count()).where(
        RentalApplicationGroup.unit_id == unit.id,
        _within(RentalApplicationGroup.submitted_at, start, end),
    )
    texts = select(func.count()).where(
        _of_unit_prospects(Message.account_id, Message.prospect_id, unit),
        Message.direction == OUTBOUND,
        Message.channel == TEXT_MESSAGE,
        _within(Message.created_at, start, end),
    )
    calls = select(func.count()).where(
        _of_unit_prospects(Call.account_id, Call.prospect_id, unit), _within(Call.created_at, start, end)
    )
    stmt = select(
        requested.scalar_subquery().label("applications_requested"),
        submitted.scalar_subquery().label("applications_submitted"),
        texts.scalar_subquery().label("outbound_texts"),
        calls.scalar_subquery().label("total_calls"),
    )
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
