import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rentengine.db.base import Base, PortableJSON, created_at_column, updated_at_column, uuid_pk


class MultifamilyProperty(Base):
    __tablename__ = "multifamily_properties"

    id: Mapped[uuid.UUID] = uuid_pk()
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    community_name: Mapped[str] = mapped_column(String(200))
    building_count: Mapped[int]
    unit_count: Mapped[int]
    description: Mapped[str | None] = mapped_column(Text)
    structure_type: Mapped[str] = mapped_column(String(32))
    year_built: Mapped[int]
    photos: Mapped[list[dict[str, Any]]] = mapped_column(PortableJSON)
    external_ids: Mapped[dict[str, str]] = mapped_column(PortableJSON)
    text_address: Mapped[str] = mapped_column(Text)
    deleted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (
        # Serves the default list (live rows of some accounts, in page order).
        Index(
            "ix_multifamily_properties_account_id_deleted_created_at_id",
            "account_id",
            "deleted",
            "created_at",
            "id",
        ),
    )
