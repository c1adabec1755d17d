import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth.models import Membership
from rentengine.db.pagination import page_by_position
from rentengine.envelope import one_past_the_page
from rentengine.leasing.models import LeasingEvent
from rentengine.leasing.schemas import LeasingEventQuery
from rentengine.prospects.repository import is_stored_id


async def list_events(
    session: AsyncSession, account_ids: Iterable[uuid.UUID], query: LeasingEventQuery
) -> Sequence[LeasingEvent]:
    """One page of events (plus one row, see `one_past_the_page`), `id` ascending."""
    accounts = list(account_ids)
    if query.prospect_id is not None and not is_stored_id(query.prospect_id):
        return []
    # Deep pages come from listing one account's events, whole or within a date range: those are
    # read by position, at the same cost on every page. A prospect or an event type selects few
    # events, whose pages stay short enough for OFFSET.
    if len(accounts) == 1 and query.prospect_id is None and not query.event_types:
        stmt = _one_account_by_position(accounts[0], query)
    else:
        stmt = select(LeasingEvent).where(LeasingEvent.account_id.in_(accounts))
        stmt = one_past_the_page(_filtered(stmt, query).order_by(LeasingEvent.id), query)
    return (await session.scalars(stmt)).all()


def _filtered(stmt: Select[LeasingEvent], query: LeasingEventQuery) -> Select[LeasingEvent]:
    if query.prospect_id is not None:
        stmt = stmt.where(LeasingEvent.prospect_id == query.prospect_id)
    if query.event_types:
        stmt = stmt.where(LeasingEvent.event_type.in_(query.event_types))
    if query.created_after is not None:
        stmt = stmt.where(LeasingEvent.created_at >= query.created_after)
    if query.created_before is not None:
        stmt = stmt.where(LeasingEvent.created_at < query.created_before)
    return stmt


def _one_account_by_position(account_id: uuid.UUID, query: LeasingEventQuery) -> Select[LeasingEvent]:
    """The page (plus one row) of one account's events created at or after `created_after` and
    before `created_before`.

    Positions follow ids and creation times never go down along them, so the events of a date range
    are a range of positions, bounded by the last position before each date (one index probe each,
    in the same statement and so the same snapshot as the page).
    """
    stmt = select(LeasingEvent).where(LeasingEvent.account_id == account_id)
    before: ColumnElement[int] | int = 0
    if query.created_after is not None:
        before = func.coalesce(_last_position_before(account_id, query.created_after), 0)
    if query.created_before is not None:
        # No event before `created_before` makes the bound NULL, and the page rightly empty.
        stmt = stmt.where(LeasingEvent.account_seq <= _last_position_before(account_id, query.created_before))
    return page_by_position(stmt, LeasingEvent.account_seq, before, query).limit(query.limit + 1)


def _last_position_before(account_id: uuid.UUID, instant: datetime) -> ScalarSelect[int]:
    return (
        select(LeasingEvent.account_seq)
        .where(LeasingEvent.account_id == account_id, LeasingEvent.created_at < instant)
        .order_by(LeasingEvent.created_at.desc(), LeasingEvent.id.desc())
        .limit(1)
        .scalar_subquery()
    )


async def members_among(
    session: AsyncSession, account_id: uuid.UUID, user_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of the users who are members of the account."""
    stmt = select(Membership.user_id).where(
        Membership.account_id == account_id, Membership.user_id.in_(list(user_ids))
    )
    return set((await session.scalars(stmt)).all())
