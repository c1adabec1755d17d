"""The comps search's reads (candidate units by place, their status history) and the quota's table."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.audit.models import AuditEntry
from rentengine.comps.geo import Box
from rentengine.comps.models import CompsCall
from rentengine.comps.schemas import CompsQuery
from rentengine.units.models import Address, Unit

LEASED, AVAILABLE = "Leased", "Available"
# A user's lock on PostgreSQL: an advisory lock in this namespace, keyed by the user id.
QUOTA_LOCK_NAMESPACE = 1_668_247_411


@dataclass(frozen=True)
class Candidate:
    """A unit that may be a comp, with what a comp shows of it."""

    id: int
    account_id: uuid.UUID
    status: str
    property_type: str
    bedrooms: float | None
    bathrooms: float | None
    sqft: float | None
    num_parking_spots: int | None
    target_rental_rate: float
    available_since: datetime | None
    created_at: datetime
    attributes: dict[str, Any]
    street_number: str
    street_name: str
    unit: str | None
    city: str
    state: str
    zip_code: str
    latitude: float
    longitude: float


def _in_box(box: Box) -> ColumnElement[bool]:
    lat, lon = Address.__table__.c.latitude, Address.__table__.c.longitude
    return and_(lat.between(box.min_lat, box.max_lat), or_(*(lon.between(w, e) for w, e in box.lon_ranges)))


def _ranges(stmt: Select[Any], query: CompsQuery) -> Select[Any]:
    units = Unit.__table__.c
    for column, low, high in (
        (units.bedrooms, query.min_beds, query.max_beds),
        (units.bathrooms, query.min_baths, query.max_baths),
        (units.sqft, query.min_sqft, query.max_sqft),
    ):
        if low is not None:
            stmt = stmt.where(column >= low)
        if high is not None:
            stmt = stmt.where(column <= high)
    return stmt


async def candidates(session: AsyncSession, query: CompsQuery, box: Box | None) -> list[Candidate]:
    """Leased and Available units with coordinates, in the box (or the zip codes), in every account."""
    units, addresses = Unit.__table__.c, Address.__table__.c
    stmt = (
        select(
            units.id,
            units.account_id,
            units.status,
            units.property_type,
            units.bedrooms,
            units.bathrooms,
            units.sqft,
            units.num_parking_spots,
            units.target_rental_rate,
            units.available_since,
            units.created_at,
            units.attributes,
            addresses.street_number,
            addresses.street_name,
            addresses.unit,
            addresses.city,
            addresses.state,
            addresses.zip_code,
            addresses.latitude,
            addresses.longitude,
        )
        .select_from(Address.__table__.join(Unit.__table__, units.address_id == addresses.id))
        .where(
            units.status.in_((LEASED, AVAILABLE)),
            addresses.latitude.is_not(None),
            addresses.longitude.is_not(None),
        )
    )
    if box is not None:
        stmt = stmt.where(_in_box(box))
    if query.zipcodes is not None:
        stmt = stmt.where(units.zip_code.in_(query.zipcodes))
    rows = await session.execute(_ranges(stmt, query))
    return [Candidate(**row._mapping) for row in rows]


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    old: Any
    new: Any


async def status_changes(
    session: AsyncSession, units: Iterable[tuple[uuid.UUID, int]]
) -> dict[int, list[StatusChange]]:
    """Each unit's status changes from the audit log, oldest first (by `(account_id, id)` pairs)."""
    by_account: dict[uuid.UUID, list[str]] = {}
    for account_id, unit_id in units:
        by_account.setdefault(account_id, []).append(str(unit_id))
    found: dict[int, list[StatusChange]] = {}
    for account_id, record_ids in by_account.items():
        for start in range(0, len(record_ids), 500):
            # The `(account_id, table, record_id)` index serves this: one account, one table, ids listed.
            stmt = (
                select(AuditEntry.record_id, AuditEntry.created_at, AuditEntry.changes)
                .where(
                    AuditEntry.account_id == account_id,
                    AuditEntry.table == "units",
                    AuditEntry.record_id.in_(record_ids[start : start + 500]),
                    AuditEntry.action == "UPDATE",
                )
                .order_by(AuditEntry.id)
            )
            for record_id, at, changes in await session.execute(stmt):
                status = (changes or {}).get("status")
                if status is not None:
                    found.setdefault(int(record_id), []).append(StatusChange(at, status[0], status[1]))
    return found


async def lock_user_quota(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Serialises one user's quota checks until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock on the user (other users never wait). SQLite: the
    write transaction's `BEGIN IMMEDIATE`, which its first statement issues, takes the database's one
    write lock; that statement runs here, so the lock is held when this returns.
    """
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(user_id.bytes[:4], "big", signed=True)
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
            {"namespace": QUOTA_LOCK_NAMESPACE, "key": key},
        )
    else:
        await session.execute(text("SELECT 1"))


async def prune_calls(session: AsyncSession, user_id: uuid.UUID, before: datetime) -> None:
    """Drops the user's calls that have left the window (so a user keeps at most a quota of rows)."""
    await session.execute(
        delete(CompsCall).where(CompsCall.user_id == user_id, CompsCall.called_at <= before)
    )


async def calls_since(session: AsyncSession, user_id: uuid.UUID, since: datetime) -> Sequence[datetime]:
    """The user's counted call times after `since`, oldest first."""
    stmt = (
        select(CompsCall.called_at)
        .where(CompsCall.user_id == user_id, CompsCall.called_at > since)
        .order_by(CompsCall.called_at)
    )
    return list((await session.scalars(stmt)).all())


async def add_call(session: AsyncSession, user_id: uuid.UUID, at: datetime) -> int:
    stmt = insert(CompsCall).values(user_id=user_id, called_at=at).returning(CompsCall.id)
    return int((await session.execute(stmt)).scalar_one())


async def remove_call(session: AsyncSession, call_id: int) -> None:
    await session.execute(delete(CompsCall).where(CompsCall.id == call_id))
