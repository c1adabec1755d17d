"""The reports' queries, one statement per report page, built once with bound parameters. Each
reads index ranges of one account and period, never the account's whole history:

- marketing sources: the funnel's day rows (`prospect_source_days`, by account, day and source) for
  the whole UTC days of the period, and for the partial days at either end the prospects by
  (account, created_at), an index that covers their source and steps (migrations 0011, 0012);
  upcoming showings by (account, status, planned time);
- showings: by (account, planned time); calls and application groups: by (account, created_at);
- units: the Available units by (account, status);
- one unit's performance: its prospects and showings by unit, and their events, calls and
  messages by (account, prospect); its application groups by (unit, submitted_at).
"""

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    Row,
    Select,
    Uuid,
    and_,
    bindparam,
    case,
    distinct,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.applications.models import RentalApplicationGroup
from rentengine.auth.models import Account
from rentengine.communications.models import Call, Message
from rentengine.db.base import UTCDateTime
from rentengine.envelope import one_past_the_page
from rentengine.leasing.models import LeasingEvent
from rentengine.prospects import funnel
from rentengine.prospects.models import Prospect, ProspectSourceDay
from rentengine.reporting.schemas import AccountReportQuery
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
AnyRow = Row[*tuple[Any, ...]]
AnySelect = Select[*tuple[Any, ...]]


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _within(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


async def source_funnels(
    session: AsyncSession, account_ids: Sequence[uuid.UUID], start: datetime, end: datetime, now: datetime
) -> dict[str | None, Counter[str]]:
    """Per source of the prospects created in [start, end): how many, how many reached each step,
    and how many have a showing scheduled from `now` on.

    The whole UTC days of the period are read from the funnel's day rows; only the partial days at
    either end are counted from the prospects (a covering index range each). One statement, built
    once: a report is a single round trip."""
    whole = _whole_days(start, end) or (end.date(), end.date())
    edges = (start, _midnight(whole[0])) if whole[0] < whole[1] else (start, end)
    params = {
        "accounts": list(account_ids),
        "first_day": whole[0],
        "last_day": whole[1],
        "head_start": edges[0],
        "head_end": edges[1],
        "tail_start": max(start, _midnight(whole[1])) if whole[0] < whole[1] else end,
        "tail_end": end,
        "start": start,
        "end": end,
        "now": now,
    }
    totals: dict[str | None, Counter[str]] = {}
    for row in await session.execute(_funnel_statement(), params):
        counts = row._asdict()
        source = counts.pop("source") or None  # no source: null in a prospect, "" in a day row
        totals.setdefault(source, Counter()).update({name: int(value) for name, value in counts.items()})
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


def _instant(name: str) -> Any:
    return bindparam(name, type_=UTCDateTime())


_ACCOUNTS = bindparam("accounts", expanding=True, type_=Uuid())
_ZERO: Any = literal_column("0")


def _day_rows() -> AnySelect:
    days = ProspectSourceDay
    sums = (func.sum(getattr(days, name)).label(name) for name in funnel.COUNT_COLUMNS)
    in_period = and_(
        days.day >= bindparam("first_day", type_=Date), days.day < bindparam("last_day", type_=Date)
    )
    return (
        select(days.source, *sums, _ZERO.label("upcoming_showings"))
        .where(days.account_id.in_(_ACCOUNTS), in_period)
        .group_by(days.source)
    )


def _prospect_rows(low: str, high: str) -> AnySelect:
    reached = (_count_if(Prospect.milestones.op("&")(bit) != 0) for bit in funnel.STEP_BITS)
    created = _within(Prospect.created_at, _instant(low), _instant(high))
    stmt = select(Prospect.source, func.count(), *reached, _ZERO)
    return stmt.where(Prospect.account_id.in_(_ACCOUNTS), created).group_by(Prospect.source)


def _upcoming_rows() -> AnySelect:
    ahead = and_(Showing.status == SCHEDULED, Showing.planned_date_time >= _instant("now"))
    created = _within(Prospect.created_at, _instant("start"), _instant("end"))
    stmt = select(Prospect.source, *(_ZERO for _ in funnel.COUNT_COLUMNS), func.count(distinct(Prospect.id)))
    return (
        stmt.select_from(Showing)
        .join(Prospect, Showing.prospect_id == Prospect.id)
        .where(Showing.account_id.in_(_ACCOUNTS), ahead, created)
        .group_by(Prospect.source)
    )


@cache
def _funnel_statement() -> CompoundSelect[*tuple[Any, ...]]:
    """By source: the day rows of [first_day, last_day), the prospects of [head_start, head_end)
    and of [tail_start, tail_end), and the upcoming showings of the period's prospects (the
    columns are named by the first part)."""
    head, tail = _prospect_rows("head_start", "head_end"), _prospect_rows("tail_start", "tail_end")
    return union_all(_day_rows(), head, tail, _upcoming_rows())


async def showings_in(
    session: AsyncSession, account_ids: Sequence[uuid.UUID], query: AccountReportQuery
) -> Sequence[AnyRow]:
    """The showings planned in [start, end) with their prospect and address, by planned time."""
    stmt = (
        select(Showing, Prospect.first_name, Prospect.last_name, Address)
        .join(Prospect, Showing.prospect_id == Prospect.id)
        .join(Unit, Showing.unit_id == Unit.id)
        .join(Address, Unit.address_id == Address.id)
        .where(
            Showing.account_id.in_(account_ids), _within(Showing.planned_date_time, query.start, query.end)
        )
        .order_by(Showing.planned_date_time, Showing.id)
    )
    return (await session.execute(one_past_the_page(stmt, query))).all()


async def calls_in(
    session: AsyncSession, account_ids: Sequence[uuid.UUID], query: AccountReportQuery
) -> Sequence[AnyRow]:
    """The calls made in [start, end) with their prospect's name, if any, oldest first."""
    stmt = (
        select(Call, Prospect.first_name, Prospect.last_name)
        .outerjoin(Prospect, Call.prospect_id == Prospect.id)
        .where(Call.account_id.in_(account_ids), _within(Call.created_at, query.start, query.end))
        .order_by(Call.created_at, Call.id)
    )
    return (await session.execute(one_past_the_page(stmt, query))).all()


async def available_units(
    session: AsyncSession, account_ids: Sequence[uuid.UUID], query: AccountReportQuery
) -> Sequence[AnyRow]:
    """The Available units with their address and their account's time zone, by id."""
    stmt = (
        select(Unit, Address, Account.timezone)
        .join(Address, Unit.address_id == Address.id)
        .join(Account, Unit.account_id == Account.id)
        .where(Unit.account_id.in_(account_ids), Unit.status == AVAILABLE)
        .order_by(Unit.id)
    )
    return (await session.execute(one_past_the_page(stmt, query))).all()


async def application_groups_in(
    session: AsyncSession, account_ids: Sequence[uuid.UUID], query: AccountReportQuery
) -> Sequence[AnyRow]:
    """The application groups created in [start, end) with their lead's name and address."""
    group = RentalApplicationGroup
    stmt = (
        select(group, Prospect.first_name, Prospect.last_name, Address)
        .outerjoin(Prospect, group.lead_prospect_id == Prospect.id)
        .join(Unit, group.unit_id == Unit.id)
        .join(Address, Unit.address_id == Address.id)
        .where(group.account_id.in_(account_ids), _within(group.created_at, query.start, query.end))
        .order_by(group.created_at, group.id)
    )
    return (await session.execute(one_past_the_page(stmt, query))).all()


async def unit_performance(
    session: AsyncSession, unit_id: int, start: datetime, end: datetime, now: datetime
) -> AnyRow | None:
    """The unit, its account's time zone and every count of its leasing performance over
    [start, end) (see `_performance_statement`), in one round trip; None for an unknown unit."""
    params = {"unit_id": unit_id, "start": start, "end": end, "now": now}
    return (await session.execute(_performance_statement(), params)).one_or_none()


def _counted(model: Any, *conditions: ColumnElement[bool]) -> Any:
    return select(func.count()).select_from(model).where(*conditions).correlate(Unit).scalar_subquery()


def _by_unit_prospects(model: Any, *conditions: ColumnElement[bool]) -> Any:
    """Rows of the unit's prospects (events, calls, messages), by the account's prospect index."""
    joined = model.__table__.join(Prospect.__table__, model.prospect_id == Prospect.id)
    mine = and_(Prospect.unit_id == Unit.id, model.account_id == Unit.account_id)
    return _counted(joined, mine, *conditions)


@cache
def _performance_statement() -> AnySelect:
    start, end, now = _instant("start"), _instant("end"), _instant("now")
    people, visits = Prospect.unit_id == Unit.id, Showing.unit_id == Unit.id
    groups = RentalApplicationGroup
    rent_set_at = func.coalesce(Unit.rate_changed_at, Unit.created_at)
    still_active = Prospect.status.not_in(CLOSED_STATUSES)
    counts = {
        "new_prospects": _counted(Prospect, people, _within(Prospect.created_at, start, end)),
        "since_rent_set": _counted(Prospect, people, Prospect.created_at >= rent_set_at),
        "active": _counted(Prospect, people, Prospect.created_at < end, still_active),
        "scheduled": _counted(Showing, visits, _within(Showing.created_at, start, end)),
        "completed": _counted(
            Showing,
            visits,
            Showing.status == COMPLETED,
            _within(Showing.planned_date_time, start, end),
        ),
        "upcoming": _counted(Showing, visits, Showing.status == SCHEDULED, Showing.planned_date_time >= now),
        "applications_requested": _by_unit_prospects(
            LeasingEvent,
            LeasingEvent.event_type == APPLICATION_REQUESTED,
            _within(LeasingEvent.created_at, start, end),
        ),
        "applications_submitted": _counted(
            groups, groups.unit_id == Unit.id, _within(groups.submitted_at, start, end)
        ),
        "outbound_texts": _by_unit_prospects(
            Message,
            Message.direction == OUTBOUND,
            Message.channel == TEXT_MESSAGE,
            _within(Message.created_at, start, end),
        ),
        "total_calls": _by_unit_prospects(Call, _within(Call.created_at, start, end)),
    }
    return (
        select(Unit, Account.timezone, *(count.label(name) for name, count in counts.items()))
        .join(Account, Unit.account_id == Account.id)
        .where(Unit.id == bindparam("unit_id"))
    )


async def unit_feedback(
    session: AsyncSession, unit_id: int, start: datetime, end: datetime
) -> Sequence[AnyRow]:
    """The feedback of the unit's showings planned in [start, end), latest first."""
    params = {"unit_id": unit_id, "start": start, "end": end}
    return (await session.execute(_feedback_statement(), params)).all()


@cache
def _feedback_statement() -> AnySelect:
    return (
        select(
            Showing.prospect_id,
            Prospect.first_name,
            Prospect.last_name,
            Showing.planned_date_time,
            Showing.feedback,
        )
        .join(Prospect, Showing.prospect_id == Prospect.id)
        .where(
            Showing.unit_id == bindparam("unit_id"),
            Showing.feedback.is_not(None),
            _within(Showing.planned_date_time, _instant("start"), _instant("end")),
        )
        .order_by(Showing.planned_date_time.desc(), Showing.id.desc())
        .limit(MAX_FEEDBACK)
    )
