import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rentengine.db.base import Base, PortableJSON, created_at_column, updated_at_column, uuid_pk
from rentengine.db.positions import CounterColumns


class Lockbox(Base):
    __tablename__ = "lockboxes"

    id: Mapped[uuid.UUID] = uuid_pk()
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    lockbox_type: Mapped[str] = mapped_column(String(16))
    serial_number: Mapped[str] = mapped_column(String(64))
    # Per-lockbox HMAC key for offline codes; never leaves the server.
    code_secret: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (
        UniqueConstraint("account_id", "serial_number"),
        Index("ix_lockboxes_account_id_created_at_id", "account_id", "created_at", "id"),
        # GET /lockboxes?lockbox_type=… in page order.
        Index(
            "ix_lockboxes_account_id_lockbox_type_created_at_id",
            "account_id",
            "lockbox_type",
            "created_at",
            "id",
        ),
        Index("ix_lockboxes_serial_number", "serial_number"),
    )


class LockboxEvent(Base):
    __tablename__ = "lockbox_events"

    id: Mapped[uuid.UUID] = uuid_pk()
    lockbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lockboxes.id"))
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    event_type: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(Integer)
    event_metadata: Mapped[dict[str, Any] | None] = mapped_column("metadata", PortableJSON)
    created_at: Mapped[datetime] = created_at_column()
    # The event's place in its account, 1, 2, 3, … in (created_at, id) order with no gaps (see
    # `positions`): page N of one account is then an index range, not N pages skipped.
    account_seq: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_lockbox_events_account_id_created_at_id", "account_id", "created_at", "id"),
        Index("ix_lockbox_events_account_id_account_seq", "account_id", "account_seq", unique=True),
        Index("ix_lockbox_events_lockbox_id_created_at_id", "lockbox_id", "created_at", "id"),
        Index("ix_lockbox_events_unit_id_created_at", "unit_id", "created_at"),
        Index("ix_lockbox_events_account_id_event_type_created_at", "account_id", "event_type", "created_at"),
        # The retention purge's oldest-first walk over every account (`rentengine.retention`).
        Index("ix_lockbox_events_created_at_id", "created_at", "id"),
    )


class LockboxEventCounter(CounterColumns, Base):
    """Per account, the position and creation time of its latest event (`rentengine.db.positions`)."""

    __tablename__ = "lockbox_event_counters"

    # Retention (`rentengine.retention`) has purged every position up to this one, except events it
    # spared because they still install their lockbox; every position after it is still there.
    purged_through_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
