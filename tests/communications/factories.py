"""Bodies for POST /calls and /messages, and direct row counts (to check that a refusal wrote nothing)."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from rentengine.audit.models import AuditEntry
from rentengine.communications.models import Call, Message
from rentengine.runtime import Runtime

PHONE = "5551234567"
# The wire objects' fields, in their documented order.
CALL_FIELDS = (
    "id",
    "account_id",
    "prospect_id",
    "direction",
    "contact_number",
    "status",
    "call_duration",
    "user_id",
    "created_at",
)
MESSAGE_FIELDS = (
    "id",
    "account_id",
    "prospect_id",
    "direction",
    "channel",
    "contact",
    "body",
    "user_id",
    "created_at",
)


def call_body(account_id: uuid.UUID | str, /, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "account_id": str(account_id),
        "direction": "inbound",
        "contact_number": PHONE,
        "status": "completed",
    }
    body.update(overrides)
    return body


def message_body(account_id: uuid.UUID | str, /, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "account_id": str(account_id),
        "direction": "outbound",
        "channel": "Text Message",
        "contact": PHONE,
        "body": "Hi Jane, would you like to tour the house on Thursday?",
    }
    body.update(overrides)
    return body


@dataclass(frozen=True)
class Kind:
    """Calls or messages: what the tests that hold for both need to know about each."""

    path: str
    table: str
    model: type[Call] | type[Message]
    contact_field: str
    fields: tuple[str, ...]

    def body(self, account_id: uuid.UUID | str, /, **overrides: Any) -> dict[str, Any]:
        make = call_body if self.model is Call else message_body
        return make(account_id, **overrides)


CALLS = Kind("/calls", "calls", Call, "contact_number", CALL_FIELDS)
MESSAGES = Kind("/messages", "messages", Message, "contact", MESSAGE_FIELDS)
KINDS = (CALLS, MESSAGES)


async def count_rows(runtime: Runtime, kind: Kind, account_id: uuid.UUID) -> int:
    """Rows of the kind in the account, and their audit entries: a refused write leaves both unchanged."""
    async with runtime.db.transaction(writes=False) as session:
        rows = await session.scalar(select(func.count()).where(kind.model.account_id == account_id))
        entries = await session.scalar(
            select(func.count()).where(AuditEntry.account_id == account_id, AuditEntry.table == kind.table)
        )
    assert rows == entries
    return int(rows or 0)
