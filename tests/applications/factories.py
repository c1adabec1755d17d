"""Rental application groups made the way the platform makes them: through the service."""

import uuid
from datetime import datetime
from typing import Any

from rentengine.applications import service
from rentengine.changes.types import Actor
from rentengine.runtime import Runtime

PLATFORM = Actor(user_id=None)


async def make_group(
    runtime: Runtime,
    account_id: uuid.UUID,
    unit_id: int,
    *,
    created_at: datetime | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A group recorded like a platform write (audited, sent to webhooks); returns its record."""
    async with runtime.db.transaction() as session:
        return await service.create_group(
            session, PLATFORM, account_id=account_id, unit_id=unit_id, created_at=created_at, **fields
        )
