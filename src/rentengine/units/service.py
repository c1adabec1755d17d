"""Unit rules: upsert, address replacement, market timestamps, and the unit's wire representation."""

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth.access import require_account, visible
from rentengine.auth.service import Principal
from rentengine.changes.recorded import Update, recorded_create, recorded_update, sent_account
from rentengine.changes.types import Actor, Record
from rentengine.db.session import Database
from rentengine.errors import BadRequest, NotFound, detail
from rentengine.kit.clock import isoformat_z, utc_now
from rentengine.kit.jsonutil import dumps, format_number
from rentengine.units import repository
from rentengine.units.models import Address, Unit, city_key_of
from rentengine.units.schemas import (
    ACCOMPANIED_KEYS,
    ATTRIBUTE_DEFAULTS,
    COLUMN_FIELDS,
    CREATE_REQUIRED,
    UNACCOMPANIED_KEYS,
    WIRE_FIELDS,
    YEARS_AHEAD,
    UnitAddress,
    UnitQuery,
    UnitUpsert,
)
from rentengine.units.wire import is_current, store_wire
from rentengine.validation import require_fields, rule_error

TABLE = "units"
AVAILABLE = "Available"
_NUMERIC_COLUMNS = ("bedrooms", "bathrooms", "sqft", "num_parking_spots", "target_rental_rate")


def formatted_address(address: Address) -> str:
    """One line, e.g. `123 Main St 4B, Austin, TX 78701`."""
    street = f"{address.street_number} {address.street_name}"
    if address.unit:
        street = f"{street} {address.unit}"
    return f"{street}, {address.city}, {address.state} {address.zip_code}"


def address_to_wire(address: Address) -> Record:
    known = address.longitude is not None and address.latitude is not None
    return {
        "id": address.id,
        "formatted_address": formatted_address(address),
        "street_number": address.street_number,
        "street_name": address.street_name,
        "unit": address.unit,
        "city": address.city,
        "state": address.state,
        "zip_code": address.zip_code,
        "country": address.country,
        "coordinates": [address.longitude, address.latitude] if known else None,
    }


def photo_url(path: str, public_base_url: str) -> str:
    """The photo's full URL: the path itself when it is already absolute, else under the public origin."""
    parts = urlsplit(path)
    if parts.scheme and parts.netloc:
        return path
    return f"{public_base_url.rstrip('/')}/{path.lstrip('/')}"


def _attributes_to_wire(attributes: dict[str, Any], public_base_url: str) -> Record:
    values = {name: attributes.get(name, default) for name, default in ATTRIBUTE_DEFAULTS.items()}
    values["is_occupied"] = bool(values["is_occupied"])  # stored null by earlier releases
    values["marketing_photos"] = [
        {"path": p["path"], "hidden": p["hidden"], "original": photo_url(p["path"], public_base_url)}
        for p in values["marketing_photos"]
    ]
    rules = values["prescreen_rules"]
    if rules is not None:
        values["prescreen_rules"] = {
            "min_credit_score_band": rules.get("min_credit_score_band"),
            "min_income_to_rent_ratio": rules.get("min_income_to_rent_ratio"),
        }
    return values


def unit_to_wire(unit: Unit, address: Address, public_base_url: str) -> Record:
    """The GET representation of a unit, which is also its audit and webhook record."""
    values: Record = {
        "id": unit.id,
        "account_id": str(unit.account_id),
        "status": unit.status,
        "address": address_to_wire(address),
        "property_type": unit.property_type,
        **{name: format_number(getattr(unit, name)) for name in _NUMERIC_COLUMNS},
        "earliest_move_in_date": _iso_date(unit.earliest_move_in_date),
        "earliest_showing_date": _iso_date(unit.earliest_showing_date),
        "showing_method": unit.showing_method,
        "extracted_from": unit.extracted_from,
        "created_at": isoformat_z(unit.created_at),
        "updated_at": isoformat_z(unit.updated_at),
        **_attributes_to_wire(unit.attributes or {}, public_base_url),
    }
    return {name: values[name] for name in WIRE_FIELDS}


async def list_units_json(
    session: AsyncSession, account_ids: Iterable[uuid.UUID], query: UnitQuery, public_base_url: str
) -> bytes:
    """One page of `GET /units` as the response body: the stored wire forms, joined.

    A unit whose stored form is missing or was built for another version or base URL is rebuilt
    from its columns (see `units/wire.py`); the body is the same either way.
    """
    rows = await repository.list_unit_wires(session, account_ids, query)
    stale = [unit_id for unit_id, _json, key in rows if not is_current(key, public_base_url)]
    rebuilt = (
        {
            unit.id: dumps(unit_to_wire(unit, address, public_base_url))
            for unit, address in await repository.units_by_ids(session, stale)
        }
        if stale
        else {}
    )
    parts = [rebuilt.get(unit_id) or json for unit_id, json, _key in rows]
    return b"[" + b",".join(part for part in parts if part is not None) + b"]"


async def refresh_stale_wires(db: Database, public_base_url: str, batch: int = 1000) -> int:
    """Rebuilds the stored wire forms missing or built by another version; returns how many.

    Lists are right without this (they rebuild such units as they go), only slower: it runs when
    the server starts, so units written before an upgrade are fast again.
    """
    refreshed = 0
    while True:
        async with db.transaction() as session:
            rows = await repository.units_with_stale_wires(session, public_base_url, batch)
            for unit, address in rows:
                store_wire(unit, unit_to_wire(unit, address, public_base_url), public_base_url)
        refreshed += len(rows)
        if len(rows) < batch:
            return refreshed


def _iso_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


async def upsert_unit(
    session: AsyncSession, principal: Principal, actor: Actor, body: UnitUpsert, public_base_url: str
) -> tuple[Record, bool]:
    """Creates or updates one unit; returns its record and whether it was created."""
    check_body(body)
    if body.id is None:
        return await _create(session, principal, actor, body, public_base_url), True
    return await _update(session, principal, actor, body, public_base_url), False


async def _create(
    session: AsyncSession, principal: Principal, actor: Actor, body: UnitUpsert, public_base_url: str
) -> Record:
    require_account(principal, body.account_id)
    now = utc_now()
    unit = Unit(
        account_id=body.account_id, status="Incomplete", attributes={}, created_at=now, updated_at=now
    )
    address = Address()
    apply_body(unit, address, body, now)
    await repository.add_unit(session, unit, address)
    wire = partial(unit_to_wire, unit, address, public_base_url)
    record = await recorded_create(session, actor, TABLE, unit, wire)
    store_wire(unit, record, public_base_url)
    return record


async def _update(
    session: AsyncSession, principal: Principal, actor: Actor, body: UnitUpsert, public_base_url: str
) -> Record:
    assert body.id is not None
    found = await repository.get_unit_for_update(session, body.id)
    if found is None:
        raise NotFound()
    unit, address = found
    visible(principal, unit)

    def apply() -> None:
        now = utc_now()
        apply_body(unit, address, body, now)
        unit.updated_at = now

    wire = partial(unit_to_wire, unit, address, public_base_url)
    record = await recorded_update(
        session, actor, TABLE, unit, Update(wire, apply, "unit", sent_account(body))
    )
    store_wire(unit, record, public_base_url)
    return record


def apply_body(unit: Unit, address: Address, body: UnitUpsert, now: datetime) -> None:
    """Writes the sent fields onto the unit (and its address), keeping the market timestamps current.

    Public for bulk loaders; the cross-field rules (`upsert_unit`) are the caller's business.
    """
    sent = body.model_fields_set
    if "address" in sent:
        _replace_address(unit, address, body.address)
    old_rate, old_status = unit.target_rental_rate, unit.status
    for name in sorted(sent & COLUMN_FIELDS):
        setattr(unit, name, getattr(body, name))
    attribute_names = sent & ATTRIBUTE_DEFAULTS.keys()
    if attribute_names:
        changed = body.model_dump(mode="json", include=attribute_names, exclude_unset=True)
        unit.attributes = {**(unit.attributes or {}), **changed}
    if unit.target_rental_rate != old_rate:
        unit.rate_changed_at = now
    # Days on market count from the moment the unit (re)entered Available.
    if unit.status != AVAILABLE:
        unit.available_since = None
    elif old_status != AVAILABLE or unit.available_since is None:
        unit.available_since = now


def _replace_address(unit: Unit, address: Address, sent: UnitAddress) -> None:
    """The sent address replaces the stored one (same id); anything not sent goes back to its default."""
    address.street_number = sent.street_number
    address.street_name = sent.street_name
    address.unit = sent.unit
    address.city = sent.city
    # A state is a two-letter code; it is stored in the usual upper case.
    address.state = sent.state.upper()
    address.zip_code = sent.zip_code
    address.country = sent.country
    address.longitude, address.latitude = sent.coordinates or (None, None)
    unit.city_key = city_key_of(sent.city)
    unit.zip_code = sent.zip_code


def check_body(body: UnitUpsert) -> None:
    """Every 400 a unit body earns without the database (the mock server applies the same)."""
    _check_rules(body)
    if body.id is None:
        require_fields(body, CREATE_REQUIRED)


def _check_rules(body: UnitUpsert) -> None:
    """400s that the body schema cannot express."""
    sent = body.model_fields_set
    if "year_built" in sent and body.year_built is not None:
        latest = utc_now().year + YEARS_AHEAD
        if body.year_built > latest:
            raise rule_error(
                "/year_built", "maximum", f"must be <= {latest}", {"comparison": "<=", "limit": latest}
            )
    _check_access_instructions(body)


def _check_access_instructions(body: UnitUpsert) -> None:
    instructions = body.structured_access_instructions
    if instructions is None:
        return
    if "showing_method" not in body.model_fields_set:
        raise BadRequest(
            [
                detail(
                    "dependentRequired",
                    "",
                    "must have property showing_method when property "
                    "structured_access_instructions is present",
                    {"property": "structured_access_instructions", "missingProperty": "showing_method"},
                    "#/dependentRequired",
                )
            ]
        )
    if body.showing_method is None:
        raise rule_error(
            "/showing_method", "type", "must be string when structured_access_instructions is sent"
        )
    allowed = ACCOMPANIED_KEYS if body.showing_method == "Accompanied" else UNACCOMPANIED_KEYS
    extra = sorted(instructions.model_fields_set - allowed)
    if extra:
        raise BadRequest(
            [
                detail(
                    "additionalProperties",
                    "/structured_access_instructions",
                    f"must NOT have additional properties ({body.showing_method} showings)",
                    {"additionalProperty": name},
                    "#/properties/structured_access_instructions/additionalProperties",
                )
                for name in extra
            ]
        )
