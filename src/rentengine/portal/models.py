import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rentengine.db.base import Base, created_at_column


class PortalSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 digest is stored here."""

    __tablename__ = "portal_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid(), ForeignKey("users.id", ondelete="CASCADE"))
    # Every form of the session carries this token; a forged cross-site form cannot know it.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime]

    __table_args__ = (Index("ix_portal_sessions_user_id", "user_id"),)
