from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth.models import Account
from rentengine.prospects.models import Prospect
from rentengine.showings.models import Showing
from rentengine.units.models import Unit

SCHEDULED = "Scheduled"
INT4_MAX = 2_147_483_647  # unit, prospect and showing ids are 32-bit integer columns


def _possible(record_id: int) -> bool:
    # An id outside the column's range matches nothing, and PostgreSQL would refuse the parameter.
    return 1 <= record_id <= INT4_MAX


async def get_unit(session: AsyncSession, unit_id: int, *, lock: bool = False) -> Unit | None:
    """The unit; with `lock`, held until the transaction ends, so bookings of it take turns."""
    if not _possible(unit_id):
        return None
    stmt = select(Unit).where(Unit.id == unit_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def get_account(session: AsyncSession, unit: Unit) -> Account | None:
    return await session.get(Account, unit.account_id)


async def get_showing(session: AsyncSession, showing_id: int) -> Showing | None:
    if not _possible(showing_id):
        return None
    return await session.get(Showing, showing_id)


async def scheduled_starts(
    session: AsyncSession, unit_id: int, after: datetime, before: datetime, *, excluding: int | None = None
) -> Sequence[datetime]:
    """Planned times of the unit's scheduled showings in [after, before) (one index range read)."""
    stmt = select(Showing.planned_date_time).where(
        Showing.unit_id == unit_id,
        Showing.status == SCHEDULED,
        Showing.planned_date_time >= after,
        Showing.planned_date_time < before,
    )
    if excluding is not None:
        stmt = stmt.where(Showing.id != excluding)
    return (await session.scalars(stmt.order_by(Showing.planned_date_time))).all()


async def prospect_of(session: AsyncSession, unit_id: int, email: str, phone: str) -> Prospect | None:
    """The unit's latest prospect with this email (stored lower-cased) or this phone number."""
    stmt = (
        select(Prospect)
        .where(
            Prospect.unit_id == unit_id, or_(Prospect.email == email.strip().lower(), Prospect.phone == phone)
        )
        .order_by(Prospect.id.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()
