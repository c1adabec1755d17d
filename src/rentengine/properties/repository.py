import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.db.pagination import page_of
from rentengine.properties.models import MultifamilyProperty
from rentengine.properties.schemas import PropertyQuery


async def list_properties(
    session: AsyncSession, account_ids: Iterable[uuid.UUID], query: PropertyQuery
) -> Sequence[MultifamilyProperty]:
    stmt = select(MultifamilyProperty).where(
        MultifamilyProperty.account_id.in_(list(account_ids)),
        MultifamilyProperty.deleted.is_(query.deleted),
    )
    if query.id is not None:
        stmt = stmt.where(MultifamilyProperty.id == query.id)
    stmt = stmt.order_by(MultifamilyProperty.created_at, MultifamilyProperty.id)
    return (await session.scalars(page_of(stmt, query))).all()


async def get_property(session: AsyncSession, property_id: uuid.UUID) -> MultifamilyProperty | None:
    return await session.get(MultifamilyProperty, property_id)
