import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from rentengine.validation import DateTime, PageQuery


class AuditQuery(PageQuery):
    table: str | None = Field(None, max_length=64)
    record_id: str | None = Field(None, max_length=64)
    api_key_id: uuid.UUID | None = None
    created_after: DateTime | None = None
    created_before: DateTime | None = None


class AuditEntryOut(BaseModel):
    id: int
    account_id: uuid.UUID
    user_id: uuid.UUID | None
    api_key_id: uuid.UUID | None
    table: str
    record_id: str
    action: Literal["INSERT", "UPDATE", "DELETE"]
    request_method: str | None
    request_path: str | None
    request_id: str | None = Field(
        description="The `X-Request-Id` of the request that made the change (the caller's when it sent "
        "a well-formed one, else the server's); null for changes made outside a request (CLI)."
    )
    changes: dict[str, list[Any]] | None
    created_at: str
