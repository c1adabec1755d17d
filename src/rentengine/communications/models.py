import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rentengine.db.base import Base

CONTACT_LENGTH = 320  # a phone number or an email address


class Call(Base):
    """A phone call that happened elsewhere, recorded here."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    prospect_id: Mapped[int | None] = mapped_column(ForeignKey("prospects.id"))
    direction: Mapped[str | None] = mapped_column(String(8))
    contact_number: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(16))
    call_duration: Mapped[int | None]
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_calls_account_id_prospect_id_id", "account_id", "prospect_id", "id"),
        Index("ix_calls_account_id_contact_number_id", "account_id", "contact_number", "id"),
        Index("ix_calls_account_id_created_at_id", "account_id", "created_at", "id"),  # calls report
    )


class Message(Base):
    """A text, email or other message that happened elsewhere, recorded here."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    prospect_id: Mapped[int | None] = mapped_column(ForeignKey("prospects.id"))
    direction: Mapped[str | None] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(20))
    contact: Mapped[str] = mapped_column(String(CONTACT_LENGTH))
    body: Mapped[str] = mapped_column(Text)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_messages_account_id_prospect_id_id", "account_id", "prospect_id", "id"),
        Index("ix_messages_account_id_contact_id", "account_id", "contact", "id"),
    )
