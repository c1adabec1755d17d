"""The one way a service creates or updates a record: the change recorded with its wire forms.

Every table that reaches the audit log and webhooks writes through these two functions, so the old
and new records are taken at the same points for all of them: the old one before any field
changes, the new one after the flush that gives the row its generated values.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth.access import Owned, same_account
from rentengine.changes.seam import record_change
from rentengine.changes.types import Actor, Change, Record

Wire = Callable[[], Record]


async def recorded_create(session: AsyncSession, actor: Actor, table: str, row: Owned, wire: Wire) -> Record:
    """Flushes the new row (already in the session) and records its insert; returns its record."""
    await session.flush()
    record = wire()
    await record_change(session, actor, Change.insert(table, row.account_id, record))
    return record


@dataclass(frozen=True)
class Update:
    """One update of a row the caller may see (`auth.access.visible`): how to read and change it.

    `sent_account` is the body's `account_id` when it was sent: it must be the row's own account
    (`noun` names the record in that 400's message).
    """

    wire: Wire
    apply: Callable[[], None]
    noun: str
    sent_account: uuid.UUID | None = None


def sent_account(body: BaseModel) -> uuid.UUID | None:
    """The body's `account_id` when the client sent one."""
    if "account_id" not in body.model_fields_set:
        return None
    account: uuid.UUID = body.account_id  # type: ignore[attr-defined]
    return account


async def recorded_update(
    session: AsyncSession, actor: Actor, table: str, row: Owned, edit: Update
) -> Record:
    """Checks the account rule, applies the edit and records the update from the old record to the new."""
    same_account(edit.noun, row.account_id, edit.sent_account)
    old = edit.wire()
    edit.apply()
    await session.flush()
    record = edit.wire()
    await record_change(session, actor, Change.update(table, row.account_id, record, old))
    return record
