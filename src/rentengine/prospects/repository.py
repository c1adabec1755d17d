import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.db.pagination import page_by_position, page_of
from rentengine.prospects.models import Prospect
from rentengine.prospects.schemas import ProspectQuery

INT4_MAX = 2_147_483_647  # prospect ids are a 32-bit integer column


def is_stored_id(value: int) -> bool:
    """Whether an id can exist at all; others match nothing (and never reach a 32-bit column)."""
    return 1 <= value <= INT4_MAX


async def list_prospects(
    session: AsyncSession, account_ids: Iterable[uuid.UUID], query: ProspectQuery
) -> Sequence[Prospect]:
    accounts = list(account_ids)
    # One account's prospects, whole or within a date range, are read by position: the same cost on
    # every page, where OFFSET reads every row before the page.
    if len(accounts) == 1:
        stmt = _one_account_by_position(accounts[0], query)
    else:
        stmt = page_of(_dated(select(Prospect).where(Prospect.account_id.in_(accounts)), query), query)
    return (await session.scalars(stmt)).all()


def _dated(stmt: Select[Prospect], query: ProspectQuery) -> Select[Prospect]:
    if query.created_after is not None:
        stmt = stmt.where(Prospect.created_at >= query.created_after)
    if query.created_before is not None:
        stmt = stmt.where(Prospect.created_at < query.created_before)
    return stmt.order_by(Prospect.id)


def _one_account_by_position(account_id: uuid.UUID, query: ProspectQuery) -> Select[Prospect]:
    """The page of one account's prospects created at or after `created_after` and before
    `created_before`.

    Positions follow ids and creation times never go down along them, so the prospects of a date
    range are a range of positions, bounded by the last position before each date (one index probe
    each, in the same statement and so the same snapshot as the page).
    """
    stmt = select(Prospect).where(Prospect.account_id == account_id)
    before: ColumnElement[int] | int = 0
    if query.created_after is not None:
        before = func.coalesce(_last_position_before(account_id, query.created_after), 0)
    if query.created_before is not None:
        # No prospect before `created_before` makes the bound NULL, and the page rightly empty.
        stmt = stmt.where(Prospect.account_seq <= _last_position_before(account_id, query.created_before))
    return page_by_position(stmt, Prospect.account_seq, before, query)


def _last_position_before(account_id: uuid.UUID, instant: datetime) -> ScalarSelect[int]:
    return (
        select(Prospect.account_seq)
        .where(Prospect.account_id == account_id, Prospect.created_at < instant)
        .order_by(Prospect.created_at.desc(), Prospect.id.desc())
        .limit(1)
        .scalar_subquery()
    )


async def get_prospect(session: AsyncSession, prospect_id: int) -> Prospect | None:
    if not is_stored_id(prospect_id):
        return None
    return await session.get(Prospect, prospect_id)


async def same_phone_prospects(session: AsyncSession, prospect: Prospect) -> Sequence[Prospect]:
    """The other prospects of the prospect's account with its phone number, `id` ascending."""
    if prospect.phone is None:
        return []
    stmt = (
        select(Prospect)
        .where(
            Prospect.account_id == prospect.account_id,
            Prospect.phone == prospect.phone,
            Prospect.id != prospect.id,
        )
        .order_by(Prospect.id)
    )
    return (await session.scalars(stmt)).all()
