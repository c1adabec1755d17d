import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rentengine.db.base import Base
from rentengine.db.positions import CounterColumns

NAME_LENGTH = 200
EMAIL_LENGTH = 320
PHONE_LENGTH = 10


class Prospect(Base):
    """One person interested in one unit of an account."""

    __tablename__ = "prospects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    first_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    last_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    # Stored lower-cased, so that matching a prospect by email ignores case on every backend.
    email: Mapped[str | None] = mapped_column(String(EMAIL_LENGTH))
    phone: Mapped[str | None] = mapped_column(String(PHONE_LENGTH))
    status: Mapped[str] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(String(100))
    prospect_type: Mapped[str | None] = mapped_column(String(8))
    credit_score: Mapped[str | None] = mapped_column(String(20))
    income: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    # The pipeline steps reached, as bits (`rentengine.prospects.milestones`); reports read them.
    milestones: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The prospect's place in its account, 1, 2, 3, … in `id` (and `created_at`) order with no gaps
    # (see `rentengine.db.positions`): page N of one account is an index range, not N pages skipped.
    account_seq: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_prospects_account_id_id", "account_id", "id"),
        Index("ix_prospects_account_id_account_seq", "account_id", "account_seq", unique=True),
        Index("ix_prospects_account_id_created_at_id", "account_id", "created_at", "id"),
        # Covers the marketing-sources report: one index range per account and period.
        Index(
            "ix_prospects_account_id_created_at_source_milestones",
            "account_id",
            "created_at",
            "source",
            "milestones",
        ),
        # The latest prospect with a phone or an email (showings, calls and messages link to it).
        Index("ix_prospects_account_id_phone_id", "account_id", "phone", "id"),
        Index("ix_prospects_account_id_email_id", "account_id", "email", "id"),
        Index("ix_prospects_unit_id_id", "unit_id", "id"),
    )


class ProspectCounter(CounterColumns, Base):
    """Per account, the position and creation time of its latest prospect (`rentengine.db.positions`)."""

    __tablename__ = "prospect_counters"


class ProspectSourceDay(Base):
    """One account's prospects of one source created on one UTC day, and how many reached each step
    (`rentengine.prospects.funnel` keeps it)."""

    __tablename__ = "prospect_source_days"
    NO_SOURCE = ""  # a prospect without a source (a key column cannot be null)

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    leads: Mapped[int] = mapped_column(Integer, default=0)
    showings_scheduled: Mapped[int] = mapped_column(Integer, default=0)
    showings_completed: Mapped[int] = mapped_column(Integer, default=0)
    applications_requested: Mapped[int] = mapped_column(Integer, default=0)
    applications_submitted: Mapped[int] = mapped_column(Integer, default=0)
    apps_approved: Mapped[int] = mapped_column(Integer, default=0)
    rejected_prescreens: Mapped[int] = mapped_column(Integer, default=0)
