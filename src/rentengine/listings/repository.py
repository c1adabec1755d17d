"""The feed's reads: whether an account exists, the validator's aggregate, and the listed units."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth.models import Account
from rentengine.units.models import Address, Unit

AVAILABLE = "Available"


@dataclass(frozen=True)
class FeedSummary:
    """What the feed's validator is computed from (see `service.feed_etag`)."""

    count: int
    id_sum: int
    last_update: datetime | None


async def account_exists(session: AsyncSession, account_id: uuid.UUID) -> bool:
    found = await session.scalar(select(Account.id).where(Account.id == account_id))
    return found is not None


async def feed_summary(session: AsyncSession, account_id: uuid.UUID) -> FeedSummary:
    """Count, sum of ids and latest `updated_at` of the account's Available units.

    One pass over the `(account_id, status, id)` index range of the listed units; no attribute JSON
    is read.
    """
    units = Unit.__table__.c
    stmt = select(func.count(), func.coalesce(func.sum(units.id), 0), func.max(units.updated_at)).where(
        units.account_id == account_id, units.status == AVAILABLE
    )
    row = (await session.execute(stmt)).one()
    return FeedSummary(count=int(row[0]), id_sum=int(row[1]), last_update=row[2])


async def available_units(session: AsyncSession, account_id: uuid.UUID) -> Sequence[tuple[Unit, Address]]:
    stmt = (
        select(Unit, Address)
        .join(Address, Address.id == Unit.address_id)
        .where(Unit.account_id == account_id, Unit.status == AVAILABLE)
        .order_by(Unit.id)
    )
    return [(unit, address) for unit, address in await session.execute(stmt)]
