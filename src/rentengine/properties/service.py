"""Multifamily property rules: upsert, soft delete, paid-feed requirements."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth.access import require_account, visible
from rentengine.auth.service import Principal
from rentengine.changes.recorded import Update, recorded_create, recorded_update, sent_account
from rentengine.changes.types import Actor, Record
from rentengine.kit.clock import isoformat_z, utc_now
from rentengine.kit.ids import new_uuid
from rentengine.properties.models import MultifamilyProperty
from rentengine.properties.repository import get_property
from rentengine.properties.schemas import CREATE_REQUIRED, YEARS_AHEAD, PropertyUpsert
from rentengine.validation import require_fields, rule_error

TABLE = "multifamily_properties"


def paid_feed_requirements(unit_count: int, thresholds: Mapping[str, int]) -> list[str]:
    """The feeds that need a paid contract for a building of this size, in the configured order."""
    return [feed for feed, above in thresholds.items() if unit_count > above]


def property_to_wire(row: MultifamilyProperty, thresholds: Mapping[str, int]) -> Record:
    return {
        "id": str(row.id),
        "community_name": row.community_name,
        "building_count": row.building_count,
        "unit_count": row.unit_count,
        "description": row.description,
        "structure_type": row.structure_type,
        "year_built": row.year_built,
        "photos": [{"path": p["path"], "hidden": p["hidden"]} for p in row.photos],
        "external_ids": dict(row.external_ids or {}),
        "text_address": row.text_address,
        "account_id": str(row.account_id),
        "created_at": isoformat_z(row.created_at),
        "updated_at": isoformat_z(row.updated_at),
        "deleted": row.deleted,
        "paid_feed_requirements": paid_feed_requirements(row.unit_count, thresholds),
    }


def check_body(body: PropertyUpsert) -> None:
    """Every 400 a property body earns without the database (the mock server applies the same)."""
    _check_year(body)
    if body.id is None:
        require_fields(body, CREATE_REQUIRED)


def _check_year(body: PropertyUpsert) -> None:
    latest = utc_now().year + YEARS_AHEAD
    if "year_built" in body.model_fields_set and body.year_built > latest:
        raise rule_error(
            "/year_built", "maximum", f"must be <= {latest}", {"comparison": "<=", "limit": latest}
        )


def _sent_values(body: PropertyUpsert) -> dict[str, Any]:
    values = body.model_dump(include=body.model_fields_set - {"id"})
    if "external_ids" in values and values["external_ids"] is None:
        values["external_ids"] = {}
    return values


async def upsert_property(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    body: PropertyUpsert,
    thresholds: Mapping[str, int],
) -> tuple[Record, bool]:
    """Creates or updates one property; returns its record and whether it was created."""
    check_body(body)
    if body.id is None:
        return await _create(session, principal, actor, body, thresholds), True
    return await _update(session, principal, actor, body, thresholds), False


async def _create(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    body: PropertyUpsert,
    thresholds: Mapping[str, int],
) -> Record:
    require_account(principal, body.account_id)
    now = utc_now()
    row = MultifamilyProperty(
        id=new_uuid(), created_at=now, updated_at=now, deleted=False, external_ids={}, description=None
    )
    _apply(row, body)
    session.add(row)
    return await recorded_create(session, actor, TABLE, row, lambda: property_to_wire(row, thresholds))


async def _update(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    body: PropertyUpsert,
    thresholds: Mapping[str, int],
) -> Record:
    assert body.id is not None
    row = visible(principal, await get_property(session, body.id))

    def apply() -> None:
        _apply(row, body)
        row.updated_at = utc_now()

    edit = Update(lambda: property_to_wire(row, thresholds), apply, "property", sent_account(body))
    return await recorded_update(session, actor, TABLE, row, edit)


def _apply(row: MultifamilyProperty, body: PropertyUpsert) -> None:
    for field, value in _sent_values(body).items():
        setattr(row, field, value)
