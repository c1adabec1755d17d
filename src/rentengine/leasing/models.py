import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rentengine.db.base import Base, PortableJSON
from rentengine.db.positions import CounterColumns


class LeasingEvent(Base):
    """Something that happened to a prospect; never changed once written."""

    __tablename__ = "leasing_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The prospect's account, kept here so that account-scoped lists need no join.
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    prospect_id: Mapped[int] = mapped_column(ForeignKey("prospects.id"))
    event_type: Mapped[str] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    context: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    planned_date_time: Mapped[datetime | None]
    next_follow_up: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    created_at: Mapped[datetime]
    # The event's place in its account, 1, 2, 3, … in `id` (and `created_at`) order with no gaps
    # (see `rentengine.db.positions`): page N of one account is an index range, not N pages skipped.
    account_seq: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_leasing_events_account_id_id", "account_id", "id"),
        Index("ix_leasing_events_account_id_account_seq", "account_id", "account_seq", unique=True),
        Index("ix_leasing_events_prospect_id_id", "prospect_id", "id"),
        Index("ix_leasing_events_account_id_created_at_id", "account_id", "created_at", "id"),
    )


class LeasingEventCounter(CounterColumns, Base):
    """Per account, the position and creation time of its latest event (`rentengine.db.positions`)."""

    __tablename__ = "leasing_event_counters"
