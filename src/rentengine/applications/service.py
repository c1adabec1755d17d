"""Rental application groups: their wire form, and the one way the platform creates or changes them.

There is no public write (API.md §13). Platform code (the demo data, future application intake)
calls `create_group` and `update_group`, which record each change through the change seam, so the
audit log and the `rental_application_groups` webhooks see these writes like any API write.
"""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.applications import repository
from rentengine.applications.models import RentalApplicationGroup
from rentengine.applications.schemas import GroupQuery, GroupStatus
from rentengine.changes.recorded import Update, recorded_create, recorded_update
from rentengine.changes.types import Actor, Record
from rentengine.errors import NotFound
from rentengine.kit.clock import isoformat_z, utc_now
from rentengine.prospects.models import Prospect
from rentengine.units.models import Unit

TABLE = "rental_application_groups"
SUBMITTED = "Submitted"


def group_to_wire(group: RentalApplicationGroup) -> Record:
    """The GET representation of a group, which is also its audit and webhook record."""
    return {
        "id": group.id,
        "account_id": str(group.account_id),
        "unit_id": group.unit_id,
        "lead_prospect_id": group.lead_prospect_id,
        "status": group.status,
        "submitted_at": None if group.submitted_at is None else isoformat_z(group.submitted_at),
        "created_at": isoformat_z(group.created_at),
        "updated_at": isoformat_z(group.updated_at),
    }


async def list_groups(
    session: AsyncSession, account_ids: Iterable[uuid.UUID], query: GroupQuery
) -> list[Record]:
    return [group_to_wire(group) for group in await repository.list_groups(session, account_ids, query)]


class GroupChanges(TypedDict, total=False):
    """The fields `update_group` may change; a key left out keeps its value."""

    status: GroupStatus
    lead_prospect_id: int | None
    submitted_at: datetime | None


async def create_group(
    session: AsyncSession,
    actor: Actor,
    *,
    account_id: uuid.UUID,
    unit_id: int,
    lead_prospect_id: int | None = None,
    status: GroupStatus = "In Progress",
    submitted_at: datetime | None = None,
    created_at: datetime | None = None,
) -> Record:
    """Records a new group for a unit of the account, led by one of its prospects (or none).

    A `Submitted` group without `submitted_at` is stamped with the creation time. Raises
    `NotFound` when the unit or the lead prospect is not in the account. Returns the record,
    which the change seam also hands to the audit log and the webhooks.
    """
    await _require_in_account(session, Unit, unit_id, account_id)
    if lead_prospect_id is not None:
        await _require_in_account(session, Prospect, lead_prospect_id, account_id)
    now = created_at or utc_now()
    if status == SUBMITTED and submitted_at is None:
        submitted_at = now
    group = RentalApplicationGroup(
        account_id=account_id,
        unit_id=unit_id,
        lead_prospect_id=lead_prospect_id,
        status=status,
        submitted_at=submitted_at,
        created_at=now,
        updated_at=now,
    )
    session.add(group)
    return await recorded_create(session, actor, TABLE, group, lambda: group_to_wire(group))


async def update_group(session: AsyncSession, actor: Actor, group_id: int, changes: GroupChanges) -> Record:
    """Changes the given fields of a group and records the update (old and new record).

    Moving to `Submitted` without a `submitted_at` (sent or stored) stamps it now. Raises
    `NotFound` for an unknown group, or a lead prospect outside the group's account.
    """
    group = await repository.get_group(session, group_id)
    if group is None:
        raise NotFound()
    lead = changes.get("lead_prospect_id")
    if lead is not None:
        await _require_in_account(session, Prospect, lead, group.account_id)

    def apply() -> None:
        now = utc_now()
        for field, value in changes.items():
            setattr(group, field, value)
        if group.status == SUBMITTED and group.submitted_at is None:
            group.submitted_at = now
        group.updated_at = now

    edit = Update(lambda: group_to_wire(group), apply, "rental application group")
    return await recorded_update(session, actor, TABLE, group, edit)


async def _require_in_account(
    session: AsyncSession, model: type[Unit] | type[Prospect], row_id: int, account_id: uuid.UUID
) -> None:
    row: Any = await session.get(model, row_id)
    if row is None or row.account_id != account_id:
        raise NotFound()
