from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.audit.models import AuditEntry
from rentengine.changes.types import Actor, Change, ChangeType, Record
from rentengine.kit.clock import utc_now
from rentengine.observability.requestid import current_request_id

# Bookkeeping fields that change on every update and say nothing about what the caller changed.
_UNAUDITED_FIELDS = frozenset({"updated_at"})


def field_changes(old: Record, new: Record) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for every top-level field whose value differs."""
    keys = (old.keys() | new.keys()) - _UNAUDITED_FIELDS
    return {key: [old.get(key), new.get(key)] for key in sorted(keys) if old.get(key) != new.get(key)}


def _entry(actor: Actor, change: Change, now: Any, request_id: str | None) -> dict[str, Any]:
    diff = None
    if change.type is ChangeType.UPDATE and change.record is not None and change.old_record is not None:
        diff = field_changes(change.old_record, change.record)
    return {
        "account_id": change.account_id,
        "user_id": actor.user_id,
        "api_key_id": actor.api_key_id,
        "table": change.table,
        "record_id": change.record_id,
        "action": change.type.value,
        "request_method": actor.request_method,
        "request_path": actor.request_path,
        "request_id": request_id,
        "changes": diff,
        "created_at": now,
    }


async def write_audit_entries(session: AsyncSession, actor: Actor, changes: Sequence[Change]) -> None:
    now, request_id = utc_now(), current_request_id()
    rows = [_entry(actor, change, now, request_id) for change in changes]
    await session.execute(insert(AuditEntry), rows)
