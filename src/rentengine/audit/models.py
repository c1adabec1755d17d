import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rentengine.db.base import Base, created_at_column

# BIGINT on PostgreSQL; SQLite only auto-increments a column declared exactly INTEGER.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    table: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(8))
    request_method: Mapped[str | None] = mapped_column(String(8))
    request_path: Mapped[str | None] = mapped_column(String(2048))
    # The `X-Request-Id` of the request that made the change (see `rentengine.observability`).
    request_id: Mapped[str | None] = mapped_column(String(128))
    changes: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        Index("ix_audit_entries_account_id_id", "account_id", "id"),
        Index("ix_audit_entries_account_id_table_record_id", "account_id", "table", "record_id"),
        Index("ix_audit_entries_api_key_id", "api_key_id"),
        Index("ix_audit_entries_created_at", "created_at"),
    )
