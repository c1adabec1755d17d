import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Record = dict[str, Any]


class ChangeType(StrEnum):
    INSERT = "INSERT"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


@dataclass(frozen=True)
class Actor:
    """Who made a change and through which request; portal and CLI writes have no API key."""

    user_id: uuid.UUID | None
    api_key_id: uuid.UUID | None = None
    request_method: str | None = None
    request_path: str | None = None


@dataclass(frozen=True)
class Change:
    """One changed row, with its before and after in the resource's GET representation."""

    table: str
    type: ChangeType
    account_id: uuid.UUID
    record_id: str
    record: Record | None
    old_record: Record | None

    @classmethod
    def insert(cls, table: str, account_id: uuid.UUID, record: Record) -> "Change":
        return cls(table, ChangeType.INSERT, account_id, str(record["id"]), record, None)

    @classmethod
    def update(cls, table: str, account_id: uuid.UUID, record: Record, old_record: Record) -> "Change":
        return cls(table, ChangeType.UPDATE, account_id, str(record["id"]), record, old_record)

    @classmethod
    def delete(cls, table: str, account_id: uuid.UUID, old_record: Record) -> "Change":
        return cls(table, ChangeType.DELETE, account_id, str(old_record["id"]), None, old_record)
