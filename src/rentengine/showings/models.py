import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rentengine.db.base import Base


class Showing(Base):
    """A prospect's visit of a unit at a planned time."""

    __tablename__ = "showings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    prospect_id: Mapped[int] = mapped_column(ForeignKey("prospects.id"))
    planned_date_time: Mapped[datetime]
    showing_method: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    feedback: Mapped[str | None] = mapped_column(Text)
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        # Availability reads a unit's scheduled showings in a time range.
        Index("ix_showings_unit_id_status_planned_date_time", "unit_id", "status", "planned_date_time"),
        Index("ix_showings_account_id_id", "account_id", "id"),
        # The showings report (a period of planned times) and the upcoming showings of an account.
        Index("ix_showings_account_id_planned_date_time_id", "account_id", "planned_date_time", "id"),
        Index("ix_showings_account_id_status_planned_date_time", "account_id", "status", "planned_date_time"),
        Index("ix_showings_prospect_id_id", "prospect_id", "id"),
    )
