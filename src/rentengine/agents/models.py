import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rentengine.db.base import Base, uuid_pk


class AgentToken(Base):
    """A 6-character code an account gives a buyer's agent to book showings without prescreening.

    Only the code's SHA-256 digest is stored; the code is shown once, when it is issued.
    """

    __tablename__ = "agent_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid(), ForeignKey("accounts.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200))
    code_digest: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_agent_tokens_account_id_code_digest", "account_id", "code_digest", unique=True),
        Index("ix_agent_tokens_account_id_created_at", "account_id", "created_at"),
    )
