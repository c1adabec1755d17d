import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.db.pagination import page_of
from rentengine.prospects.models import Prospect
from rentengine.prospects.schemas import ProspectQuery

INT4_MAX = 2_147_483_647  # prospect ids are a 32-bit integer column


def is_stored_id(value: int) -> bool:
    """Whether an id can exist at all; others match nothing (and never reach a 32-bit column)."""
    return 1 <= value <= INT4_MAX


async def list_prospects(
    session: AsyncSession, account_ids: Iterable[uuid.UUID], query: ProspectQuery
) -> Sequence[Prospect]:
    stmt = select(Prospect).where(Prospect.account_id.in_(list(account_ids)))
    if query.created_after is not None:
        stmt = stmt.where(Prospect.created_at >= query.created_after)
    if query.created_before is not None:
        stmt = stmt.where(Prospect.created_at < query.created_before)
    rows = await session.scalars(page_of(stmt.order_by(Prospect.id), query))
    return rows.all()


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
