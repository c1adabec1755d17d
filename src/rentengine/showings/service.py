"""Showings: a unit's open slots (API.md §12.1) and the showing record that `showings` webhooks carry."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.agents.showing_settings import ShowingSettings, settings_of
from rentengine.auth.access import visible
from rentengine.auth.service import Principal
from rentengine.changes.types import Record
from rentengine.kit.clock import isoformat_z, utc_now
from rentengine.showings import repository
from rentengine.showings.models import Showing
from rentengine.showings.slots import (
    SLOT,
    Slot,
    abbreviation,
    candidate_slots,
    free_slots,
    is_free,
    is_slot_start,
    preferred_slots,
    search_range,
    zone_of,
)
from rentengine.units.models import Unit

TABLE = "showings"
AVAILABLE = "Available"
ACCOMPANIED = "Accompanied"
DEFAULT_SETTINGS = ShowingSettings("America/Chicago", "09:00", "18:00")


def showing_to_wire(showing: Showing) -> Record:
    """The showing record of the audit log and the `showings` webhooks (there is no GET)."""
    return {
        "id": showing.id,
        "account_id": str(showing.account_id),
        "unit_id": showing.unit_id,
        "prospect_id": showing.prospect_id,
        "planned_date_time": isoformat_z(showing.planned_date_time),
        "showing_method": showing.showing_method,
        "status": showing.status,
        "feedback": showing.feedback,
        "cancellation_reason": showing.cancellation_reason,
        "created_at": isoformat_z(showing.created_at),
        "updated_at": isoformat_z(showing.updated_at),
    }


@dataclass(frozen=True)
class Openings:
    """What a unit offers now: its free slots, and those of them next to a scheduled showing."""

    settings: ShowingSettings
    free: list[Slot]
    preferred: list[Slot]


def is_offered(unit: Unit) -> bool:
    """Only an Available unit with a showing method can be shown."""
    return unit.status == AVAILABLE and unit.showing_method is not None


async def showing_settings(session: AsyncSession, unit: Unit) -> ShowingSettings:
    account = await repository.get_account(session, unit)
    return DEFAULT_SETTINGS if account is None else settings_of(account)


async def openings(
    session: AsyncSession, unit: Unit, now: datetime, *, ignoring: int | None = None
) -> Openings:
    """The unit's slots from now on; `ignoring` is a showing being moved, whose slot counts as free."""
    settings = await showing_settings(session, unit)
    if not is_offered(unit):
        return Openings(settings, [], [])
    after, before = search_range(now)
    scheduled = await repository.scheduled_starts(session, unit.id, after, before, excluding=ignoring)
    free = free_slots(candidate_slots(now, settings), scheduled)
    return Openings(settings, free, preferred_slots(free, scheduled))


async def is_open(
    session: AsyncSession, unit: Unit, instant: datetime, now: datetime, *, ignoring: int | None = None
) -> bool:
    """Whether `openings(...).free` has a slot starting at `instant`, read with one index probe of the
    unit's showings around it instead of all its slots and showings."""
    settings = await showing_settings(session, unit)
    if not is_offered(unit) or not is_slot_start(instant, now, settings):
        return False
    nearby = await repository.scheduled_starts(
        session, unit.id, instant - SLOT, instant + SLOT, excluding=ignoring
    )
    return is_free(Slot(instant, instant + SLOT), nearby)


def invited_users(unit: Unit) -> list[str]:
    """The users who accompany showings of an Accompanied unit."""
    if unit.showing_method != ACCOMPANIED:
        return []
    instructions = (unit.attributes or {}).get("structured_access_instructions") or {}
    return list(instructions.get("assigned_user_ids") or [])


def _windows(slots: list[Slot], unit: Unit) -> list[Record]:
    methods = [unit.showing_method] if unit.showing_method else []
    invited = invited_users(unit)
    return [
        {
            "start": isoformat_z(slot.start),
            "end": isoformat_z(slot.end),
            "invitedUserIdsArray": invited,
            "showingMethodsAvailable": methods,
        }
        for slot in slots
    ]


async def availability(session: AsyncSession, principal: Principal, unit_id: int) -> Record:
    """The unit's showing windows in the next 14 days (404 when the caller cannot see the unit)."""
    unit = visible(principal, await repository.get_unit(session, unit_id))
    now = utc_now()
    offer = await openings(session, unit, now)
    return {
        "availability": {
            "unitId": unit.id,
            "showingMethod": unit.showing_method,
            "timezoneName": offer.settings.timezone,
            "timezoneAbbreviation": abbreviation(zone_of(offer.settings.timezone), now),
            "unitStatus": unit.status,
            "preferredShowingWindows": _windows(offer.preferred, unit),
            "availableShowingWindows": _windows(offer.free, unit),
        }
    }
