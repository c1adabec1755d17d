import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rentengine.db.base import Base, PortableJSON, UTCDateTime, created_at_column

CITY_KEY_LENGTH = 100


def city_key_of(city: str) -> str:
    """The `city_key` of a city: the one normalisation used both when storing and when filtering."""
    return city.lower()[:CITY_KEY_LENGTH]


class Address(Base):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    street_number: Mapped[str] = mapped_column(String(32))
    street_name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(32))
    zip_code: Mapped[str] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(64), default="United States")
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)


class Unit(Base):
    """A rental home. Scalars are columns; list and object attributes are JSON."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    address_id: Mapped[int] = mapped_column(ForeignKey("addresses.id"))
    # Denormalised from the address so that the city and zip filters use one index with the page order.
    city_key: Mapped[str] = mapped_column(String(CITY_KEY_LENGTH))
    zip_code: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32), default="Incomplete")
    property_type: Mapped[str] = mapped_column(String(32))
    bedrooms: Mapped[float | None] = mapped_column(Float)
    bathrooms: Mapped[float | None] = mapped_column(Float)
    sqft: Mapped[float | None] = mapped_column(Float)
    num_parking_spots: Mapped[int | None]
    target_rental_rate: Mapped[float] = mapped_column(Float)
    # When `target_rental_rate` last changed (leasing-performance benchmark).
    rate_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    # When the unit last became Available (days on market).
    available_since: Mapped[datetime | None] = mapped_column(default=None)
    extracted_from: Mapped[str | None] = mapped_column(String(2048))
    showing_method: Mapped[str | None] = mapped_column(String(40))
    earliest_move_in_date: Mapped[date | None]
    earliest_showing_date: Mapped[date | None]
    # Every other attribute of the wire object, keyed by its wire name.
    attributes: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    created_at: Mapped[datetime] = created_at_column()
    # Set by the service on every change, never by the ORM: writing the stored wire form after an
    # insert must not move `updated_at` away from the record that form holds.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # The GET representation as JSON, written with every change (see `units/wire.py`).
    # Deferred: only lists read them, with a select of their own.
    wire_json: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    wire_key: Mapped[str | None] = mapped_column(Text, default=None, deferred=True)

    __table_args__ = (
        Index("ix_units_account_id_id", "account_id", "id"),
        Index("ix_units_account_id_status_id", "account_id", "status", "id"),
        Index("ix_units_account_id_city_key_id", "account_id", "city_key", "id"),
        Index("ix_units_account_id_zip_code_id", "account_id", "zip_code", "id"),
        Index("ix_units_account_id_extracted_from", "account_id", "extracted_from"),
        Index("ix_units_account_id_updated_at", "account_id", "updated_at"),
        Index("ix_units_status_id", "status", "id"),
    )
