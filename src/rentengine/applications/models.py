import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rentengine.db.base import Base


class RentalApplicationGroup(Base):
    """The applications submitted together for one unit, led by one prospect."""

    __tablename__ = "rental_application_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    lead_prospect_id: Mapped[int | None] = mapped_column(ForeignKey("prospects.id"))
    status: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_rental_application_groups_account_id_id", "account_id", "id"),
        Index("ix_rental_application_groups_account_id_created_at_id", "account_id", "created_at", "id"),
        # A unit's submitted applications (its leasing performance).
        Index("ix_rental_application_groups_unit_id_submitted_at", "unit_id", "submitted_at"),
    )
