"""Dense per-account positions of lockbox events (see `rentengine.db.positions`).

"The latest event wins" (installed units) follows the batch order that `claim_slots` keeps.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.db import positions
from rentengine.db.positions import Slot
from rentengine.lockboxes.models import LockboxEventCounter

__all__ = ["Slot", "claim_slots"]


async def claim_slots(
    session: AsyncSession, accounts: Sequence[uuid.UUID], wanted: Sequence[datetime] | None = None
) -> list[Slot]:
    """Slots for new lockbox events, one per row, in row order; row i belongs to `accounts[i]`."""
    return await positions.claim_slots(session, LockboxEventCounter, accounts, wanted)
