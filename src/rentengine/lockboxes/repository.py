import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, Select, case, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from rentengine.db.pagination import page_of
from rentengine.lockboxes.models import Lockbox, LockboxEvent, LockboxEventCounter
from rentengine.lockboxes.schemas import MAX_UNIT_ID, LockboxEventQuery, LockboxQuery
from rentengine.units.models import Unit

INSTALL = "Install"
UNINSTALL = "Uninstall"


async def list_lockboxes(
    session: AsyncSession, account_ids: Iterable[uuid.UUID], query: LockboxQuery
) -> Sequence[Lockbox]:
    stmt = select(Lockbox).where(Lockbox.account_id.in_(list(account_ids)))
    if query.serial_numbers:
        stmt = stmt.where(Lockbox.serial_number.in_(query.serial_numbers))
    if query.lockbox_ids:
        stmt = stmt.where(Lockbox.id.in_(query.lockbox_ids))
    if query.lockbox_type is not None:
        stmt = stmt.where(Lockbox.lockbox_type == query.lockbox_type)
    stmt = stmt.order_by(Lockbox.created_at, Lockbox.id)
    return (await session.scalars(page_of(stmt, query))).all()


def _event_filters(stmt: Select[LockboxEvent], query: LockboxEventQuery) -> Select[LockboxEvent]:
    if query.lockbox_ids:
        stmt = stmt.where(LockboxEvent.lockbox_id.in_(query.lockbox_ids))
    if query.lockbox_event_ids:
        stmt = stmt.where(LockboxEvent.id.in_(query.lockbox_event_ids))
    if query.event_types:
        stmt = stmt.where(LockboxEvent.event_type.in_(query.event_types))
    if query.created_at_from is not None:
        stmt = stmt.where(LockboxEvent.created_at >= query.created_at_from)
    if query.created_at_to is not None:
        stmt = stmt.where(LockboxEvent.created_at < query.created_at_to)
    if query.unit_ids:
        # Ids beyond the column's range cannot match; dropping them keeps the bind in range.
        units = [n for n in map(int, query.unit_ids) if n <= MAX_UNIT_ID]
        stmt = stmt.where(LockboxEvent.unit_id.in_(units))
    if query.serial_numbers or query.lockbox_type is not None:
        # Serial and type are the lockbox's; the join probes the lockbox primary key per event.
        stmt = stmt.join(Lockbox, Lockbox.id == LockboxEvent.lockbox_id)
        if query.serial_numbers:
            stmt = stmt.where(Lockbox.serial_number.in_(query.serial_numbers))
        if query.lockbox_type is not None:
            stmt = stmt.where(Lockbox.lockbox_type == query.lockbox_type)
    return stmt


async def list_events(
    session: AsyncSession, account_ids: Iterable[uuid.UUID], query: LockboxEventQuery
) -> Sequence[LockboxEvent]:
    accounts = list(account_ids)
    # Deep pages come from listing one account's events, whole or within a date range: those are
    # read by position, at the same cost on every page. Other filters select few events, whose
    # pages stay short enough for OFFSET.
    if len(accounts) == 1 and not _filters_beyond_dates(query):
        stmt = _one_account_by_position(accounts[0], query)
    else:
        stmt = select(LockboxEvent).where(LockboxEvent.account_id.in_(accounts))
        stmt = page_of(_event_filters(stmt, query).order_by(LockboxEvent.created_at, LockboxEvent.id), query)
    return (await session.scalars(stmt)).all()


def _filters_beyond_dates(query: LockboxEventQuery) -> bool:
    lists = (
        query.serial_numbers,
        query.lockbox_ids,
        query.lockbox_event_ids,
        query.event_types,
        query.unit_ids,
    )
    return any(lists) or query.lockbox_type is not None


def _one_account_by_position(account_id: uuid.UUID, query: LockboxEventQuery) -> Select[LockboxEvent]:
    """The page of one account's events at or after `created_at_from` and before `created_at_to`.

    Positions follow (created_at, id), so the events of a date range are a range of positions,
    bounded by the last position before each date (one index probe each, in the same statement and
    so the same snapshot as the page). Past the account's `purged_through_seq` positions have no
    gaps and the page is an index range; up to it, only the few events retention spared are left
    (`rentengine.retention.lockbox_events`), which come first and are paged by OFFSET.
    """
    low: ColumnElement[int] | int = 0
    if query.created_at_from is not None:
        low = func.coalesce(_last_position_before(account_id, query.created_at_from), 0)
    in_range = [LockboxEvent.account_id == account_id, LockboxEvent.account_seq > low]
    if query.created_at_to is not None:
        # No event before `created_at_to` makes the bound NULL, and the page rightly empty.
        in_range.append(LockboxEvent.account_seq <= _last_position_before(account_id, query.created_at_to))
    purged = func.coalesce(
        select(LockboxEventCounter.purged_through_seq)
        .where(LockboxEventCounter.account_id == account_id)
        .scalar_subquery(),
        0,
    )
    spared_before = (
        select(func.count()).where(*in_range, LockboxEvent.account_seq <= purged).scalar_subquery()
    )
    spared = (
        select(LockboxEvent)
        .where(*in_range, LockboxEvent.account_seq <= purged)
        .order_by(LockboxEvent.account_seq)
        .offset(query.offset)
        .limit(query.limit)
        .subquery()
    )
    start = _greater(purged, low) + _greater(query.offset - spared_before, 0)
    gapless = (
        select(LockboxEvent)
        .where(*in_range, LockboxEvent.account_seq > start)
        .order_by(LockboxEvent.account_seq)
        .limit(query.limit)
        .subquery()
    )
    both = union_all(select(spared), select(gapless)).subquery()
    page = aliased(LockboxEvent, both)
    return select(page).order_by(page.account_seq).limit(query.limit)


def _greater(a: ColumnElement[int], b: ColumnElement[int] | int) -> ColumnElement[int]:
    """GREATEST(a, b) in both dialects (SQLite spells it max(a, b))."""
    return case((a > b, a), else_=b)


def _last_position_before(account_id: uuid.UUID, instant: datetime) -> ScalarSelect[int]:
    return (
        select(LockboxEvent.account_seq)
        .where(LockboxEvent.account_id == account_id, LockboxEvent.created_at < instant)
        .order_by(LockboxEvent.created_at.desc(), LockboxEvent.id.desc())
        .limit(1)
        .scalar_subquery()
    )


async def visible_lockboxes(
    session: AsyncSession, ids: Collection[uuid.UUID], account_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Lockbox]:
    stmt = select(Lockbox).where(Lockbox.id.in_(list(ids)), Lockbox.account_id.in_(list(account_ids)))
    return {row.id: row for row in (await session.scalars(stmt)).all()}


async def lockboxes_by_serial(
    session: AsyncSession, serial_number: str, account_ids: Iterable[uuid.UUID]
) -> Sequence[Lockbox]:
    stmt = select(Lockbox).where(
        Lockbox.serial_number == serial_number, Lockbox.account_id.in_(list(account_ids))
    )
    return (await session.scalars(stmt.order_by(Lockbox.created_at, Lockbox.id))).all()


async def taken_serials(
    session: AsyncSession, account_id: uuid.UUID, serial_numbers: Collection[str]
) -> dict[str, uuid.UUID]:
    """Serial number -> lockbox id of the given serials that already exist in the account."""
    stmt = select(Lockbox.serial_number, Lockbox.id).where(
        Lockbox.account_id == account_id, Lockbox.serial_number.in_(list(serial_numbers))
    )
    return {row.serial_number: row.id for row in (await session.execute(stmt)).all()}


async def unit_accounts(
    session: AsyncSession, unit_ids: Collection[int], account_ids: Iterable[uuid.UUID]
) -> dict[int, uuid.UUID]:
    """Unit id -> account of the given units that exist in the caller's accounts."""
    stmt = select(Unit.id, Unit.account_id).where(
        Unit.id.in_(list(unit_ids)), Unit.account_id.in_(list(account_ids))
    )
    return {row.id: row.account_id for row in (await session.execute(stmt)).all()}


def _latest_placements(lockbox_ids: Select[uuid.UUID]) -> Select[uuid.UUID, str, int | None]:
    """The most recent Install/Uninstall event of each of the given lockboxes."""
    ranked = (
        select(
            LockboxEvent.lockbox_id,
            LockboxEvent.event_type,
            LockboxEvent.unit_id,
            LockboxEvent.created_at,
            LockboxEvent.id,
            func.row_number()
            .over(
                partition_by=LockboxEvent.lockbox_id,
                order_by=(LockboxEvent.created_at.desc(), LockboxEvent.id.desc()),
            )
            .label("placement_rank"),
        )
        .where(
            LockboxEvent.lockbox_id.in_(lockbox_ids),
            LockboxEvent.event_type.in_((INSTALL, UNINSTALL)),
        )
        .subquery()
    )
    return (
        select(ranked.c.lockbox_id, ranked.c.event_type, ranked.c.unit_id)
        .where(ranked.c.placement_rank == 1)
        .order_by(ranked.c.created_at.desc(), ranked.c.id.desc())
    )


async def installed_unit(session: AsyncSession, lockbox_id: uuid.UUID) -> int | None:
    """The unit the lockbox is installed on: its latest placement, when that is an Install."""
    stmt = _latest_placements(select(Lockbox.id).where(Lockbox.id == lockbox_id))
    row = (await session.execute(stmt)).first()
    return row.unit_id if row is not None and row.event_type == INSTALL else None


async def lockbox_installed_on(
    session: AsyncSession, unit_id: int, account_ids: Iterable[uuid.UUID]
) -> Lockbox | None:
    """Of the caller's lockboxes whose latest placement is an Install on the unit, the latest one."""
    candidates = (
        select(LockboxEvent.lockbox_id)
        .join(Lockbox, Lockbox.id == LockboxEvent.lockbox_id)
        .where(
            LockboxEvent.unit_id == unit_id,
            LockboxEvent.event_type == INSTALL,
            Lockbox.account_id.in_(list(account_ids)),
        )
    )
    for row in (await session.execute(_latest_placements(candidates))).all():
        if row.event_type == INSTALL and row.unit_id == unit_id:
            return await session.get(Lockbox, row.lockbox_id)
    return None
