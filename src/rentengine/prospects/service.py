"""Prospects: their wire form, the list, and the one way platform code creates or changes them.

There is no public write (API.md §10): prospects are created and updated by other domains (a
showing booked through the API creates or updates its prospect). They call `create_prospect` and
`update_prospect`, which record each change through the change seam, so the audit log and the
`prospects` webhooks see these writes like any API write.
"""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Required, TypedDict

from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.changes.recorded import Update, recorded_create, recorded_update
from rentengine.changes.types import Actor, Record
from rentengine.db.positions import claim_slot
from rentengine.errors import NotFound
from rentengine.kit.clock import isoformat_z, utc_now
from rentengine.prospects import funnel, repository
from rentengine.prospects.models import Prospect, ProspectCounter
from rentengine.prospects.schemas import ProspectQuery
from rentengine.units.models import Unit

TABLE = "prospects"


def prospect_name(prospect: Prospect) -> str:
    """First and last name, as one string (empty when neither is known)."""
    return " ".join(part for part in (prospect.first_name, prospect.last_name) if part)


def prospect_to_wire(prospect: Prospect) -> Record:
    """The GET representation of a prospect, which is also its audit and webhook record."""
    return {
        "id": prospect.id,
        "name": prospect_name(prospect),
        "email": prospect.email,
        "phone": prospect.phone,
        "status": prospect.status,
        "source": prospect.source,
        "prospect_type": prospect.prospect_type,
        "unit_of_interest": prospect.unit_id,
        "notes": prospect.notes,
        "created_at": isoformat_z(prospect.created_at),
        "updated_at": isoformat_z(prospect.updated_at),
    }


async def list_prospects(
    session: AsyncSession, account_ids: Iterable[uuid.UUID], query: ProspectQuery
) -> list[Record]:
    rows = await repository.list_prospects(session, account_ids, query)
    return [prospect_to_wire(row) for row in rows]


class _ProspectColumns(TypedDict, total=False):
    unit_id: int | None
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    source: str | None
    prospect_type: str | None
    credit_score: str | None
    income: str | None
    notes: str | None


class ProspectChanges(_ProspectColumns, total=False):
    """The columns `update_prospect` may change; a key left out keeps its value.

    `phone` is 10 digits and `prospect_type` is `Self`, `Agent` or None: callers validate them
    (they come from a validated request body). `email` is stored lower-cased.
    """

    status: str


class ProspectValues(_ProspectColumns, total=False):
    """A new prospect: its account and status, and any other column (default: null; `created_at`:
    now). The same rules as `ProspectChanges` apply.

    `created_at` is where the prospect wants to be: prospects list in id order, and a date range
    of an account's list is read as a range of its positions, so the stored time is never before
    the account's latest prospect. A `created_at` not after that is moved to one microsecond after
    it (see `rentengine.db.positions`)."""

    account_id: Required[uuid.UUID]
    status: Required[str]
    created_at: datetime


async def create_prospect(session: AsyncSession, actor: Actor, values: ProspectValues) -> Prospect:
    """Creates a prospect and records the insert (audit entry and `prospects` webhooks).

    The prospect takes the next position of its account (`ProspectValues` says how that bounds
    `created_at`). The account is not checked against a caller: the calling service has done that. Raises
    `NotFound` when `unit_id` is not a unit of the same account. Returns the flushed row, whose
    record is `prospect_to_wire(row)`.
    """
    fields: dict[str, Any] = {**values}
    await _require_unit(session, fields.get("unit_id"), values["account_id"])
    wanted = fields.pop("created_at", None)
    # The claim comes before the row is added: the id, drawn on flush, must follow the position,
    # which holds while this transaction holds the account's counter row.
    slot = await claim_slot(session, ProspectCounter, values["account_id"], wanted)
    prospect = Prospect(
        **_normalised(fields),
        created_at=slot.created_at,
        updated_at=slot.created_at,
        account_seq=slot.account_seq,
    )
    session.add(prospect)
    await recorded_create(session, actor, TABLE, prospect, lambda: prospect_to_wire(prospect))
    await funnel.count_prospect(session, prospect)
    return prospect


async def update_prospect(
    session: AsyncSession, actor: Actor, prospect: Prospect, changes: ProspectChanges
) -> Record:
    """Changes the given columns of a prospect and records the update (old and new record).

    Changes that leave every column as it was record nothing (no audit entry, no webhook) and keep
    `updated_at`. Raises `NotFound` when `unit_id` is not a unit of the prospect's account.
    Returns the prospect's record after the change.
    """
    wanted = _normalised(dict(changes))
    if all(getattr(prospect, field) == value for field, value in wanted.items()):
        return prospect_to_wire(prospect)
    if "unit_id" in wanted:
        await _require_unit(session, wanted["unit_id"], prospect.account_id)

    def apply() -> None:
        for field, value in wanted.items():
            setattr(prospect, field, value)
        prospect.updated_at = utc_now()

    edit = Update(lambda: prospect_to_wire(prospect), apply, "prospect")
    moved = "source" in wanted and wanted["source"] != prospect.source
    record = await recorded_update(session, actor, TABLE, prospect, edit)
    if moved:  # rare: the day is recounted from its prospects, exact whatever else changed meanwhile
        await session.flush()
        await funnel.rebuild_days(session, prospect.account_id, [funnel.utc_day(prospect.created_at)])
    return record


def _normalised(fields: dict[str, Any]) -> dict[str, Any]:
    # Emails are matched case-insensitively by comparing stored lower-cased values.
    if fields.get("email") is not None:
        fields["email"] = fields["email"].strip().lower()
    return fields


async def _require_unit(session: AsyncSession, unit_id: int | None, account_id: uuid.UUID) -> None:
    if unit_id is None:
        return
    unit = await session.get(Unit, unit_id)
    if unit is None or unit.account_id != account_id:
        raise NotFound()
