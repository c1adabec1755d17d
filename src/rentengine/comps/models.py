"""The comps quota's table, and the indexes that serve the comps search on the units' tables."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rentengine.db.base import Base, UTCDateTime
from rentengine.units.models import Address, Unit


class CompsCall(Base):
    """One successful comps call of a user, kept while it counts against the rolling quota window."""

    __tablename__ = "comps_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid(), ForeignKey("users.id", ondelete="CASCADE"))
    called_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    __table_args__ = (Index("ix_comps_calls_user_id_called_at", "user_id", "called_at"),)


# The comps search reads the units' tables by place, across all accounts; these indexes exist for it
# alone, so they are declared here (each attaches itself to its table's metadata):
# - the bounding box: a range on latitude, with longitude checked inside the same index entries;
# - from each address found to its unit (one address per unit);
# - the zip code search, which covers every account (the units' own zip index leads with the account).
Index("ix_addresses_latitude_longitude", Address.__table__.c.latitude, Address.__table__.c.longitude)
Index("ix_units_address_id", Unit.__table__.c.address_id)
Index("ix_units_zip_code_status", Unit.__table__.c.zip_code, Unit.__table__.c.status)
