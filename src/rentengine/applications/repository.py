import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.applications.models import RentalApplicationGroup
from rentengine.applications.schemas import GroupQuery
from rentengine.db.pagination import page_of


async def list_groups(
    session: AsyncSession, account_ids: Iterable[uuid.UUID], query: GroupQuery
) -> Sequence[RentalApplicationGroup]:
    stmt = select(RentalApplicationGroup).where(RentalApplicationGroup.account_id.in_(list(account_ids)))
    if query.created_after is not None:
        stmt = stmt.where(RentalApplicationGroup.created_at >= query.created_after)
    if query.created_before is not None:
        stmt = stmt.where(RentalApplicationGroup.created_at < query.created_before)
    rows = await session.scalars(page_of(stmt.order_by(RentalApplicationGroup.id), query))
    return rows.all()


async def get_group(session: AsyncSession, group_id: int) -> RentalApplicationGroup | None:
    return await session.get(RentalApplicationGroup, group_id)
