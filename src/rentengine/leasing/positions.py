"""Dense per-account positions of leasing events (see `rentengine.db.positions`).

The list is in `id` order; positions follow ids because an insert draws its id after claiming its
position, while it holds the account's counter row.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.db import positions
from rentengine.db.positions import Slot
from rentengine.leasing.models import LeasingEventCounter

__all__ = ["Slot", "claim_slots"]


async def claim_slots(
    session: AsyncSession, accounts: Sequence[uuid.UUID], wanted: Sequence[datetime] | None = None
) -> list[Slot]:
    """Slots for new leasing events, one per row, in row (and id) order; row i belongs to `accounts[i]`."""
    return await positions.claim_slots(session, LeasingEventCounter, accounts, wanted)
