import uuid
from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from rentengine.communications.models import Call, Message
from rentengine.communications.schemas import INT4_MAX, ActivityQuery
from rentengine.envelope import one_past_the_page
from rentengine.prospects.models import Prospect

Activity = TypeVar("Activity", Call, Message)


def is_stored_id(value: int) -> bool:
    """Whether an id can exist at all; others match nothing (and never reach a 32-bit column)."""
    return 1 <= value <= INT4_MAX


async def list_activity(
    session: AsyncSession, model: type[Activity], contact: QueryableAttribute[str], query: ActivityQuery
) -> Sequence[Activity]:
    """One page of calls or messages (plus one row, see `one_past_the_page`), `id` ascending."""
    stmt = select(model).where(model.account_id.in_(query.account_ids))
    if query.prospect_id is not None:
        if not is_stored_id(query.prospect_id):
            return []
        stmt = stmt.where(model.prospect_id == query.prospect_id)
    else:
        stmt = stmt.where(contact == query.phone_number)
    rows = await session.scalars(one_past_the_page(stmt.order_by(model.id), query))
    return rows.all()


async def get_prospect(session: AsyncSession, prospect_id: int) -> Prospect | None:
    if not is_stored_id(prospect_id):
        return None
    return await session.get(Prospect, prospect_id)


async def latest_prospect_by_phone(session: AsyncSession, account_id: uuid.UUID, phone: str) -> int | None:
    return await _latest_prospect(session, account_id, Prospect.phone == phone)


async def latest_prospect_by_email(session: AsyncSession, account_id: uuid.UUID, email: str) -> int | None:
    """Prospects store emails lower-cased, so a lower-cased email matches regardless of case."""
    return await _latest_prospect(session, account_id, Prospect.email == email.lower())


async def _latest_prospect(
    session: AsyncSession, account_id: uuid.UUID, match: ColumnElement[bool]
) -> int | None:
    """The account's most recent matching prospect (the highest id: ids grow with creation)."""
    stmt = (
        select(Prospect.id)
        .where(Prospect.account_id == account_id, match)
        .order_by(Prospect.id.desc())
        .limit(1)
    )
    found: int | None = await session.scalar(stmt)
    return found
