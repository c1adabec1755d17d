"""Booking a showing (API.md §12.2): admission, the slot check and the three recorded writes.

Every check runs before the first write, so a refused booking writes nothing. The unit's row is
locked first (PostgreSQL; SQLite writers take turns anyway), so two requests for the same slot are
checked one after the other and the second finds the slot taken.
"""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.agents.service import is_valid
from rentengine.auth.access import visible
from rentengine.auth.service import Principal
from rentengine.changes.recorded import Update, recorded_create, recorded_update
from rentengine.changes.types import Actor, Record
from rentengine.errors import BadRequest
from rentengine.kit.clock import isoformat_z, utc_now
from rentengine.leasing.schemas import SHOWING_SCHEDULED
from rentengine.leasing.service import record_event
from rentengine.prospects.models import Prospect
from rentengine.prospects.service import ProspectChanges, ProspectValues, create_prospect, update_prospect
from rentengine.showings import prescreen, repository
from rentengine.showings.models import Showing
from rentengine.showings.repository import SCHEDULED
from rentengine.showings.schemas import AGENT, ProspectData, ShowingCreate
from rentengine.showings.service import TABLE, is_open, showing_to_wire
from rentengine.units.models import Unit
from rentengine.validation import rule_error

SOURCE = "API"
PRESCREEN_FAILED = "Prescreen failed"


async def book(session: AsyncSession, principal: Principal, actor: Actor, body: ShowingCreate) -> None:
    """Schedules (or moves) a showing of the unit for the prospect, all in the caller's transaction."""
    unit = visible(principal, await repository.get_unit(session, body.unitId, lock=True))
    moved = await _showing_to_move(session, principal, unit, body.rescheduleEvent)
    await _admit(session, unit, body.prospectData)
    method = _showing_method(unit, body.desiredShowingMethod)
    planned = body.plannedForTime.astimezone(UTC)
    await _require_open_slot(session, unit, planned, moved)
    prospect = await _scheduled_prospect(session, actor, unit, body.prospectData)
    if moved is None:
        showing = await _create_showing(session, actor, unit, prospect, planned, method)
        context = _context(showing, None)
    else:
        previous = moved.planned_date_time
        showing = await _move_showing(session, actor, moved, prospect, planned, method)
        context = _context(showing, previous)
    await record_event(
        session, actor, prospect, SHOWING_SCHEDULED, context=context, planned_date_time=planned
    )


async def _showing_to_move(
    session: AsyncSession, principal: Principal, unit: Unit, showing_id: int | None
) -> Showing | None:
    """The showing `rescheduleEvent` names: 404 when not visible, 400 unless a scheduled one of the unit."""
    if showing_id is None:
        return None
    showing = visible(principal, await repository.get_showing(session, showing_id))
    if showing.unit_id != unit.id:
        raise rule_error(
            "/rescheduleEvent", "showing", "must be a showing of the unit", {"unitId": showing.unit_id}
        )
    if showing.status != SCHEDULED:
        raise rule_error(
            "/rescheduleEvent",
            "showing",
            "must be a scheduled showing",
            {"status": showing.status, "allowedValues": [SCHEDULED]},
        )
    return showing


async def _admit(session: AsyncSession, unit: Unit, prospect: ProspectData) -> None:
    """Agents show a valid token of the unit's account; everyone else passes the unit's prescreen."""
    if prospect.prospectType == AGENT:
        if prospect.agentTk is None or not await is_valid(session, unit.account_id, prospect.agentTk):
            raise rule_error(
                "/prospectData/agentTk", "agentToken", "must be a valid agent token of the unit's account"
            )
        return
    rules = prescreen.rules_of(unit.attributes or {}, unit.target_rental_rate)
    failed = prescreen.failures(prospect, rules)
    if failed:
        raise BadRequest(failed, PRESCREEN_FAILED)


def _showing_method(unit: Unit, desired: str | None) -> str | None:
    offered = [unit.showing_method] if unit.showing_method else []
    if desired is not None and desired not in offered:
        raise rule_error(
            "/desiredShowingMethod",
            "enum",
            "must be one of the window's showingMethodsAvailable",
            {"allowedValues": offered},
        )
    return desired or unit.showing_method


async def _require_open_slot(
    session: AsyncSession, unit: Unit, planned: datetime, moved: Showing | None
) -> None:
    if not await is_open(session, unit, planned, utc_now(), ignoring=None if moved is None else moved.id):
        raise rule_error(
            "/plannedForTime",
            "availability",
            "must be the start of an available showing window",
            {"plannedForTime": isoformat_z(planned)},
        )


async def _scheduled_prospect(
    session: AsyncSession, actor: Actor, unit: Unit, data: ProspectData
) -> Prospect:
    """The unit's prospect with this email or phone, brought up to date, or a new one (source `API`)."""
    found = await repository.prospect_of(session, unit.id, data.email, data.phone)
    if found is not None:
        # A prospect keeps where it first came from (Zillow, a call, …).
        await update_prospect(session, actor, found, _changes(data, found.source or SOURCE))
        return found
    return await create_prospect(session, actor, _new_prospect(data, unit))


def _changes(data: ProspectData, source: str) -> ProspectChanges:
    """The prospect's columns as this booking leaves them."""
    return ProspectChanges(
        status=SHOWING_SCHEDULED,
        source=source,
        first_name=data.firstName,
        last_name=data.lastName,
        email=data.email,
        phone=data.phone,
        prospect_type=data.prospectType,
        credit_score=data.creditScore,
        income=data.income,
    )


def _new_prospect(data: ProspectData, unit: Unit) -> ProspectValues:
    return ProspectValues(
        account_id=unit.account_id,
        unit_id=unit.id,
        status=SHOWING_SCHEDULED,
        source=SOURCE,
        first_name=data.firstName,
        last_name=data.lastName,
        email=data.email,
        phone=data.phone,
        prospect_type=data.prospectType,
        credit_score=data.creditScore,
        income=data.income,
    )


async def _create_showing(
    session: AsyncSession,
    actor: Actor,
    unit: Unit,
    prospect: Prospect,
    planned: datetime,
    method: str | None,
) -> Showing:
    now = utc_now()
    showing = Showing(
        account_id=unit.account_id,
        unit_id=unit.id,
        prospect_id=prospect.id,
        planned_date_time=planned,
        showing_method=method,
        status=SCHEDULED,
        created_at=now,
        updated_at=now,
    )
    session.add(showing)
    await recorded_create(session, actor, TABLE, showing, lambda: showing_to_wire(showing))
    return showing


async def _move_showing(
    session: AsyncSession,
    actor: Actor,
    showing: Showing,
    prospect: Prospect,
    planned: datetime,
    method: str | None,
) -> Showing:
    def apply() -> None:
        showing.planned_date_time = planned
        showing.showing_method = method
        showing.prospect_id = prospect.id
        showing.updated_at = utc_now()

    await recorded_update(
        session, actor, TABLE, showing, Update(lambda: showing_to_wire(showing), apply, "showing")
    )
    return showing


def _context(showing: Showing, previous: datetime | None) -> Record:
    context: Record = {
        "showing_id": showing.id,
        "unit_id": showing.unit_id,
        "showing_method": showing.showing_method,
    }
    if previous is not None:
        context["rescheduled_from"] = isoformat_z(previous)
    return context
