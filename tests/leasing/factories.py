"""Bodies for POST /leasing_events, extra members of an account, and direct counts (to check that a
refusal wrote nothing)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from rentengine.audit.models import AuditEntry
from rentengine.auth import service as auth
from rentengine.changes.types import Actor, Record
from rentengine.leasing import service
from rentengine.leasing.models import LeasingEvent
from rentengine.prospects.models import Prospect
from rentengine.runtime import Runtime


def assign_body(prospect_id: Any, *user_ids: uuid.UUID | str, **overrides: Any) -> dict[str, Any]:
    """One `Assign to User` event; `context` overrides replace keys of the context."""
    context: dict[str, Any] = {"assignedToUserIds": [str(u) for u in user_ids]}
    context.update(overrides.pop("context", {}))
    event: dict[str, Any] = {"prospect_id": prospect_id, "event_type": "Assign to User", "context": context}
    event.update(overrides)
    return {"events": [event]}


async def make_member(runtime: Runtime, *account_ids: uuid.UUID) -> uuid.UUID:
    """Another user, a member of the given accounts."""
    async with runtime.db.transaction() as session:
        user = await auth.create_user(
            session, f"agent-{uuid.uuid4().hex[:12]}@example.com", list(account_ids)
        )
        return user.id


async def count_events(runtime: Runtime, account_id: uuid.UUID) -> int:
    """Events of the account, and their audit entries: a refused write leaves both unchanged."""
    async with runtime.db.transaction(writes=False) as session:
        rows = await session.scalar(select(func.count()).where(LeasingEvent.account_id == account_id))
        entries = await session.scalar(
            select(func.count()).where(
                AuditEntry.account_id == account_id, AuditEntry.table == "leasing_events"
            )
        )
    assert rows == entries
    return int(rows or 0)


async def record_event_at(
    runtime: Runtime, prospect_id: int, event_type: str, created_at: datetime | None = None, **values: Any
) -> Record:
    """An event recorded by platform code (`leasing.service.record_event`), as showings do."""
    async with runtime.db.transaction() as session:
        prospect = await session.get(Prospect, prospect_id)
        assert prospect is not None
        return await service.record_event(
            session, Actor(user_id=None), prospect, event_type, created_at=created_at, **values
        )
