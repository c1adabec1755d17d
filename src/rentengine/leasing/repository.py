import uuid
from collections.abc import Collection, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth.models import Membership
from rentengine.envelope import one_past_the_page
from rentengine.leasing.models import LeasingEvent
from rentengine.leasing.schemas import LeasingEventQuery
from rentengine.prospects.repository import is_stored_id


async def list_events(
    session: AsyncSession, account_ids: Iterable[uuid.UUID], query: LeasingEventQuery
) -> Sequence[LeasingEvent]:
    """One page of events (plus one row, see `one_past_the_page`), `id` ascending."""
    stmt = select(LeasingEvent).where(LeasingEvent.account_id.in_(list(account_ids)))
    if query.prospect_id is not None:
        if not is_stored_id(query.prospect_id):
            return []
        stmt = stmt.where(LeasingEvent.prospect_id == query.prospect_id)
    if query.event_types:
        stmt = stmt.where(LeasingEvent.event_type.in_(query.event_types))
    if query.created_after is not None:
        stmt = stmt.where(LeasingEvent.created_at >= query.created_after)
    if query.created_before is not None:
        stmt = stmt.where(LeasingEvent.created_at < query.created_before)
    rows = await session.scalars(one_past_the_page(stmt.order_by(LeasingEvent.id), query))
    return rows.all()


async def members_among(
    session: AsyncSession, account_id: uuid.UUID, user_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of the users who are members of the account."""
    stmt = select(Membership.user_id).where(
        Membership.account_id == account_id, Membership.user_id.in_(list(user_ids))
    )
    return set((await session.scalars(stmt)).all())
