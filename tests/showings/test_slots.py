"""The slot arithmetic (pure): local wall times across DST changes, the 1-hour lead and 14-day
horizon, overlaps with scheduled showings and the preferred neighbours."""

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from rentengine.agents.showing_settings import ShowingSettings
from rentengine.showings.slots import SLOT, Slot, candidate_slots, free_slots, is_slot_start, preferred_slots

CHICAGO = ShowingSettings("America/Chicago", "09:00", "18:00")
CHICAGO_ZONE = ZoneInfo("America/Chicago")


def on_day(slots: list[Slot], day: str) -> list[str]:
    return [s.start.strftime("%H:%M") for s in slots if s.start.strftime("%Y-%m-%d") == day]


def test_slots_cover_the_hours_every_day_for_14_days_from_one_hour_ahead() -> None:
    now = datetime(2031, 1, 7, 15, 10, tzinfo=UTC)  # 09:10 CST
    slots = candidate_slots(now, CHICAGO)
    # Today: from 10:30 local (the first half hour at least one hour ahead) to the 17:30 slot.
    assert slots[0].start == datetime(2031, 1, 7, 16, 30, tzinfo=UTC)
    assert slots[-1].start < now + timedelta(days=14)
    # The last slot starts before the same instant 14 days on: 09:00 CST on 2031-01-21.
    assert slots[-1].start == datetime(2031, 1, 21, 15, 0, tzinfo=UTC)
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)
    assert len(on_day(slots, "2031-01-08")) == 18
    assert len(slots) == 15 + 18 * 13 + 1


def test_a_dst_change_keeps_the_local_wall_times() -> None:
    slots = candidate_slots(datetime(2031, 3, 5, 12, tzinfo=UTC), CHICAGO)
    # 09:00 CST is 15:00Z; from Sunday 2031-03-09, 09:00 CDT is 14:00Z.
    assert on_day(slots, "2031-03-08")[0] == "15:00"
    assert on_day(slots, "2031-03-09")[0] == "14:00"
    assert len(on_day(slots, "2031-03-09")) == 18
    autumn = candidate_slots(datetime(2031, 10, 30, 12, tzinfo=UTC), CHICAGO)
    assert on_day(autumn, "2031-11-01")[0] == "14:00"
    assert on_day(autumn, "2031-11-02")[0] == "15:00"


def test_skipped_wall_times_have_no_slot_and_repeated_ones_one() -> None:
    night = ShowingSettings("America/Chicago", "00:00", "04:00")
    spring = [s for s in candidate_slots(datetime(2031, 3, 8, 12, tzinfo=UTC), night) if s.start.day == 9]
    # 02:00 and 02:30 do not exist on 2031-03-09: eight wall times, six slots.
    assert [s.start.strftime("%H:%M") for s in spring] == [
        "06:00",
        "06:30",
        "07:00",
        "07:30",
        "08:00",
        "08:30",
    ]
    autumn = candidate_slots(datetime(2031, 11, 1, 12, tzinfo=UTC), night)
    local = [s.start.astimezone(CHICAGO_ZONE) for s in autumn if s.start.astimezone(CHICAGO_ZONE).day == 2]
    # 01:00 and 01:30 happen twice on 2031-11-02; each gets one slot, at its first occurrence (CDT).
    assert [t.strftime("%H:%M %Z") for t in local] == [
        "00:00 CDT",
        "00:30 CDT",
        "01:00 CDT",
        "01:30 CDT",
        "02:00 CST",
        "02:30 CST",
        "03:00 CST",
        "03:30 CST",
    ]


def test_a_half_hour_offset_zone() -> None:
    kolkata = ShowingSettings("Asia/Kolkata", "10:00", "12:00")
    slots = candidate_slots(datetime(2031, 1, 7, 0, tzinfo=UTC), kolkata)
    assert [s.start for s in slots[:4]] == [
        datetime(2031, 1, 7, 4, 30, tzinfo=UTC),
        datetime(2031, 1, 7, 5, 0, tzinfo=UTC),
        datetime(2031, 1, 7, 5, 30, tzinfo=UTC),
        datetime(2031, 1, 7, 6, 0, tzinfo=UTC),
    ]
    assert slots[4].start == datetime(2031, 1, 8, 4, 30, tzinfo=UTC)


def test_a_scheduled_showing_takes_every_slot_it_overlaps_and_its_neighbours_are_preferred() -> None:
    base = datetime(2031, 1, 8, 15, tzinfo=UTC)
    candidates = [
        Slot(base + timedelta(minutes=30 * i), base + timedelta(minutes=30 * (i + 1))) for i in range(6)
    ]
    aligned = base + timedelta(minutes=60)
    assert [s.start for s in free_slots(candidates, [aligned])] == [
        candidates[i].start for i in (0, 1, 3, 4, 5)
    ]
    assert [s.start for s in preferred_slots(free_slots(candidates, [aligned]), [aligned])] == [
        candidates[1].start,
        candidates[3].start,
    ]
    # A showing off the half-hour grid takes both slots it overlaps, and touches none.
    odd = base + timedelta(minutes=75)
    free = free_slots(candidates, [odd])
    assert [s.start for s in free] == [candidates[i].start for i in (0, 1, 4, 5)]
    assert preferred_slots(free, [odd]) == []


def test_free_and_preferred_slots_agree_with_checking_every_showing_against_every_slot() -> None:
    rng = random.Random(7)
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    candidates = candidate_slots(now, ShowingSettings("America/Chicago", "09:00", "18:00"))
    for _ in range(50):
        # Showings on the half-hour grid and off it, some sharing a start.
        scheduled = [
            candidates[0].start + timedelta(minutes=rng.choice((30, 7, 15)) * rng.randrange(0, 600))
            for _ in range(rng.randrange(0, 120))
        ]
        expected_free = [
            slot
            for slot in candidates
            if not any(start < slot.end and slot.start < start + SLOT for start in scheduled)
        ]
        expected_preferred = [
            slot for slot in expected_free if any(slot.end == t or slot.start == t + SLOT for t in scheduled)
        ]
        free = free_slots(candidates, scheduled)
        assert free == expected_free
        assert preferred_slots(free, scheduled) == expected_preferred


def test_a_slot_start_is_recognised_exactly_when_the_slot_list_holds_it() -> None:
    """The booking check reads the rules backwards; it must agree with the listed slots everywhere,
    DST changes (both ways, by night and by day, and Lord Howe's half-hour one) included."""
    cases = [
        (datetime(2031, 3, 1, 12, 0, tzinfo=UTC), ShowingSettings("America/Chicago", "00:00", "04:00")),
        (datetime(2031, 10, 25, 3, 0, tzinfo=UTC), ShowingSettings("America/Chicago", "00:30", "03:30")),
        (datetime(2031, 3, 1, 12, 0, tzinfo=UTC), ShowingSettings("America/Chicago", "09:00", "18:00")),
        (datetime(2031, 3, 30, 12, 0, tzinfo=UTC), ShowingSettings("Australia/Lord_Howe", "01:00", "03:00")),
        (datetime(2031, 3, 30, 12, 0, tzinfo=UTC), ShowingSettings("Asia/Kolkata", "10:15", "12:45")),
    ]
    rng = random.Random(11)
    for now, settings in cases:
        listed = {slot.start for slot in candidate_slots(now, settings)}
        assert listed
        probes = [now + timedelta(minutes=15 * k) for k in range(-8, 15 * 24 * 4 + 8)]
        probes += [now + timedelta(seconds=rng.randrange(0, 15 * 86400)) for _ in range(500)]
        for instant in probes:
            assert is_slot_start(instant, now, settings) == (instant in listed), (settings, instant)
