import uuid
from collections.abc import Iterable, Sequence
from typing import TypeVarTuple

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.units.models import Address, Unit, city_key_of
from rentengine.units.schemas import UnitQuery
from rentengine.units.wire import wire_key

# Unit and address ids are 32-bit integer keys; no id outside this range can exist.
MAX_ID = 2_147_483_647

UnitRow = tuple[Unit, Address]


def _possible_ids(ids: Iterable[int]) -> list[int]:
    # Out-of-range ids match nothing; dropping them keeps PostgreSQL from refusing the parameter.
    return [i for i in ids if 1 <= i <= MAX_ID]


Ts = TypeVarTuple("Ts")

# One stored wire form of a listed unit: its id, the JSON, and the key it was built with.
WireRow = tuple[int, bytes | None, str | None]


def _filtered(stmt: Select[*Ts], query: UnitQuery) -> Select[*Ts]:
    # Each filter is on a `units` column that leads an index together with `account_id`.
    units = Unit.__table__.c
    if query.unitIds is not None:
        stmt = stmt.where(units.id.in_(_possible_ids(query.unitIds)))
    if query.statuses is not None:
        stmt = stmt.where(units.status.in_(query.statuses))
    if query.extracted_from is not None:
        stmt = stmt.where(units.extracted_from == query.extracted_from)
    if query.city is not None:
        stmt = stmt.where(units.city_key == city_key_of(query.city))
    if query.zip_codes is not None:
        stmt = stmt.where(units.zip_code.in_(query.zip_codes))
    if query.updated_after is not None:
        stmt = stmt.where(units.updated_at >= query.updated_after)
    if query.updated_before is not None:
        stmt = stmt.where(units.updated_at < query.updated_before)
    return stmt


async def list_unit_wires(
    session: AsyncSession, account_ids: Iterable[uuid.UUID], query: UnitQuery
) -> Sequence[WireRow]:
    """One page of units as their stored wire forms, `id` ascending."""
    # Table columns, not ORM attributes: a plain Core select skips the ORM's compile and load steps,
    # a good part of this hot path's time.
    units = Unit.__table__.c
    stmt = select(units.id, units.wire_json, units.wire_key).where(units.account_id.in_(list(account_ids)))
    stmt = _filtered(stmt, query).order_by(units.id).limit(query.limit).offset(query.offset)
    return [(row[0], row[1], row[2]) for row in await session.execute(stmt)]


async def units_by_ids(session: AsyncSession, ids: Iterable[int]) -> Sequence[UnitRow]:
    stmt = select(Unit, Address).join(Address, Address.id == Unit.address_id).where(Unit.id.in_(list(ids)))
    return [(unit, address) for unit, address in await session.execute(stmt)]


async def units_with_stale_wires(
    session: AsyncSession, public_base_url: str, limit: int
) -> Sequence[UnitRow]:
    """Units whose stored wire form this server would not serve (see `units/wire.py`).

    The rows are locked until the transaction ends, like an update's: a concurrent update must not
    commit its new form between this read and the rebuilt (older) form's write.
    """
    current = [wire_key(False, public_base_url), wire_key(True, public_base_url)]
    stmt = (
        select(Unit, Address)
        .join(Address, Address.id == Unit.address_id)
        .where(or_(Unit.wire_key.is_(None), Unit.wire_key.not_in(current)))
        .order_by(Unit.id)
        .limit(limit)
        .with_for_update(of=Unit)
    )
    return [(unit, address) for unit, address in await session.execute(stmt)]


async def get_unit_for_update(session: AsyncSession, unit_id: int) -> UnitRow | None:
    """The unit and its address, locked until the transaction ends (PostgreSQL; SQLite locks anyway)."""
    if not _possible_ids([unit_id]):
        return None
    stmt = (
        select(Unit, Address)
        .join(Address, Address.id == Unit.address_id)
        .where(Unit.id == unit_id)
        .with_for_update()
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else (row[0], row[1])


async def add_unit(session: AsyncSession, unit: Unit, address: Address) -> None:
    """Inserts the address, then the unit pointing at it; both get their ids."""
    session.add(address)
    await session.flush()
    unit.address_id = address.id
    session.add(unit)
    await session.flush()
