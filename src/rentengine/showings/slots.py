"""Showing slots (API.md §12.1): 30-minute windows at local wall times of the account's showing hours.

Pure functions of the clock, the account's settings and the unit's scheduled showings, so that the
availability answer and the booking check offer exactly the same slots.
"""

import bisect
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from rentengine.agents.showing_settings import ShowingSettings

SLOT = timedelta(minutes=30)
LEAD = timedelta(hours=1)
HORIZON = timedelta(days=14)


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        # Stored zones are checked when set; a zone this system lacks must not fail the request.
        return zoneinfo.ZoneInfo("UTC")


def abbreviation(zone: zoneinfo.ZoneInfo, now: datetime) -> str | None:
    return now.astimezone(zone).tzname()


def _wall_time(value: str) -> time:
    hour, minute = value.split(":")
    return time(int(hour), int(minute))


def _local_starts(day: date, settings: ShowingSettings, zone: zoneinfo.ZoneInfo) -> Iterator[datetime]:
    """The day's slot starts at local wall times, as UTC instants.

    A wall time skipped by a DST change has no slot; one that occurs twice has one slot, at its first
    occurrence.
    """
    opening = datetime.combine(day, _wall_time(settings.start))
    closing = datetime.combine(day, _wall_time(settings.end))
    wall = opening
    while wall + SLOT <= closing:
        instant = wall.replace(tzinfo=zone)
        as_utc = instant.astimezone(UTC)
        if as_utc.astimezone(zone).replace(tzinfo=None) == wall:
            yield as_utc
        wall += SLOT


def candidate_slots(now: datetime, settings: ShowingSettings) -> list[Slot]:
    """Every slot inside the showing hours that starts from one hour ahead to 14 days ahead."""
    zone = zone_of(settings.timezone)
    earliest, latest = now + LEAD, now + HORIZON
    day = earliest.astimezone(zone).date()
    last_day = latest.astimezone(zone).date()
    slots: list[Slot] = []
    while day <= last_day:
        slots += [Slot(s, s + SLOT) for s in _local_starts(day, settings, zone) if earliest <= s < latest]
        day += timedelta(days=1)
    return slots


def is_slot_start(instant: datetime, now: datetime, settings: ShowingSettings) -> bool:
    """Whether `instant` starts one of `candidate_slots(now, settings)`, without listing them all.

    The same rules read backwards: within the lead and the horizon, at a local wall time on the
    half-hour grid of the day's showing hours, and the first occurrence of that wall time.
    """
    if not now + LEAD <= instant < now + HORIZON:
        return False
    zone = zone_of(settings.timezone)
    # fold=0: the wall time read as its first occurrence, which is the one that has a slot.
    wall = instant.astimezone(zone).replace(tzinfo=None, fold=0)
    if wall.replace(tzinfo=zone).astimezone(UTC) != instant:  # a repeated wall time, second time
        return False
    opening = datetime.combine(wall.date(), _wall_time(settings.start))
    closing = datetime.combine(wall.date(), _wall_time(settings.end))
    return opening <= wall and wall + SLOT <= closing and (wall - opening) % SLOT == timedelta(0)


def is_free(slot: Slot, scheduled: Iterable[datetime]) -> bool:
    return not _overlapped(slot, sorted(scheduled))


def free_slots(candidates: Iterable[Slot], scheduled: Iterable[datetime]) -> list[Slot]:
    """The slots no scheduled showing overlaps.

    A showing starting at t overlaps the slot [s, s + 30 min) exactly when s - 30 min < t < s + 30
    min: one binary search in the sorted starts per slot, so a unit with hundreds of showings costs
    no more than a few (a scan of every showing per slot grew with their product).
    """
    busy = sorted(scheduled)
    return [slot for slot in candidates if not _overlapped(slot, busy)]


def _overlapped(slot: Slot, busy: list[datetime]) -> bool:
    first_after = bisect.bisect_right(busy, slot.start - SLOT)
    return first_after < len(busy) and busy[first_after] < slot.end


def preferred_slots(free: Iterable[Slot], scheduled: Iterable[datetime]) -> list[Slot]:
    """The free slots right before or after a scheduled showing (one trip shows the unit twice)."""
    busy = set(scheduled)
    return [slot for slot in free if slot.end in busy or slot.start - SLOT in busy]


def search_range(now: datetime) -> tuple[datetime, datetime]:
    """The planned times of scheduled showings that can overlap a candidate slot."""
    return now + LEAD - SLOT, now + HORIZON + SLOT
