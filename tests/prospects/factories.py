"""Prospects written the way platform code writes them (through the service, change recorded), and
direct counts of what a test wrote."""

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, select

from rentengine.audit.models import AuditEntry
from rentengine.changes.types import Actor, Record
from rentengine.prospects import service
from rentengine.prospects.models import Prospect
from rentengine.prospects.service import ProspectChanges, ProspectValues
from rentengine.runtime import Runtime


def prospect_values(account_id: uuid.UUID, **overrides: Any) -> ProspectValues:
    values: dict[str, Any] = {
        "account_id": account_id,
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane.doe@example.com",
        "phone": "5551234567",
        "status": "New",
        "source": "Zillow",
        "prospect_type": "Self",
        **overrides,
    }
    return cast(ProspectValues, values)


async def create_prospect(
    runtime: Runtime, account_id: uuid.UUID, actor: Actor | None = None, **overrides: Any
) -> Record:
    """A prospect created through `prospects.service.create_prospect`; returns its record."""
    async with runtime.db.transaction() as session:
        row = await service.create_prospect(
            session, actor or Actor(user_id=None), prospect_values(account_id, **overrides)
        )
        return service.prospect_to_wire(row)


async def update_prospect(
    runtime: Runtime, prospect_id: int, changes: ProspectChanges, actor: Actor | None = None
) -> Record:
    async with runtime.db.transaction() as session:
        row = await session.get(Prospect, prospect_id)
        assert row is not None
        return await service.update_prospect(session, actor or Actor(user_id=None), row, changes)


async def audit_count(runtime: Runtime, account_id: uuid.UUID, table: str) -> int:
    async with runtime.db.transaction(writes=False) as session:
        found = await session.scalar(
            select(func.count()).where(AuditEntry.account_id == account_id, AuditEntry.table == table)
        )
    return int(found or 0)


async def prospect_at(runtime: Runtime, account_id: uuid.UUID, created_at: datetime, **overrides: Any) -> int:
    """A prospect created at a given instant (for the date filters)."""
    record = await create_prospect(runtime, account_id, created_at=created_at, **overrides)
    prospect_id: int = record["id"]
    return prospect_id
