"""Seeded leasing stories: each prospect's leasing events, showings, calls, messages and application.

A story walks a prospect from `New` through the pipeline one step at a time, each step a little later
than the one before; it ends at an outcome (not interested, ghosting, moved in …) or where the next
step would lie in the future. The prospect's status is then its last status-changing event's. Nothing
here touches a database: the loader inserts the plans and fills in the ids.

Prospects and leasing events list in id order, and a date range of an account's list is read as a
range of positions, so both are inserted in time order: prospects are planned in creation order,
and a batch hands over only the events before the next batch's first prospect (later ones wait for
a later batch). No two events share an instant, so the positions' claim keeps every planned time.
"""

import bisect
import random
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from rentengine.agents.showing_settings import ShowingSettings
from rentengine.demo import leads
from rentengine.demo.leads import Person
from rentengine.leasing.schemas import ASSIGN_TO_USER
from rentengine.prospects.schemas import KNOWN_STATUSES
from rentengine.showings.slots import zone_of

# Every prospect status is also the leasing event that moves a prospect into it (API.md §10, §11).
STATUS_OF_EVENT: dict[str, str] = {status: status for status in KNOWN_STATUSES} | {
    "Prescreen Rejected - Credit": "Prescreen Rejected"
}
# An event that leaves the status as it is (so does `Assign to User`).
APPLICATION_REJECTED = "Application Rejected"

SPAN = timedelta(days=120)
TODAY = timedelta(hours=10)  # the newest prospects arrive within the last hours
TODAY_SHARE = 0.04
SHARED_PERSON_SHARE = 0.06  # one person asking about a second unit
MAX_REDRAWS = 8
AGENT_SHARE = 0.07
UNKNOWN_CONTACT_SHARE = 0.04  # calls and texts from numbers that match no prospect
ONE_MICROSECOND = timedelta(microseconds=1)
LOW_CREDIT = frozenset({"600-649", "550-599", "Below 550"})
SLOT_MINUTES = 30


@dataclass(frozen=True, slots=True)
class DemoUnit:
    """What a story needs of a unit of the account."""

    id: int
    showing_method: str | None
    street: str
    available: bool


@dataclass(frozen=True, slots=True)
class ShowingHours:
    """The account's showing hours (API.md §12.1), which stories book showings into."""

    zone: tzinfo
    first_start: int  # minutes after local midnight at which the first 30-minute slot starts
    slots: int  # slots a day

    @classmethod
    def of(cls, settings: ShowingSettings) -> "ShowingHours":
        start, end = _minutes(settings.start), _minutes(settings.end)
        return cls(zone_of(settings.timezone), start, max(1, (end - start) // SLOT_MINUTES))

    def slot_after(self, rng: random.Random, moment: datetime) -> datetime:
        """A slot's start between 3 hours and 6 days after `moment`."""
        local = (moment + timedelta(hours=rng.uniform(3, 120))).astimezone(self.zone)
        minute = self.first_start + SLOT_MINUTES * rng.randrange(self.slots)
        day = local.date()
        if local.hour * 60 + local.minute > minute:
            day += timedelta(days=1)
        wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.zone)
        return wall.astimezone(UTC)

    def spoken(self, instant: datetime) -> str:
        """How a text names a showing's time: "Thu Dec 4 at 2:30 PM", local time."""
        local = instant.astimezone(self.zone)
        return f"{local:%a %b} {local.day} at {local.hour % 12 or 12}:{local:%M %p}"


def _minutes(wall_time: str) -> int:
    hour, minute = wall_time.split(":")
    return int(hour) * 60 + int(minute)


@dataclass(slots=True)
class PlannedProspect:
    person: Person
    unit: DemoUnit | None
    source: str
    prospect_type: str
    credit_score: str
    income: str
    notes: str | None
    created_at: datetime
    updated_at: datetime  # the last status change
    status: str = "New"
    id: int = 0  # given by the database on insert
    account_seq: int = 0  # claimed on insert


@dataclass(slots=True)
class PlannedLeasingEvent:
    prospect: PlannedProspect
    event_type: str
    source: str | None
    notes: str | None
    context: dict[str, Any] | None
    planned_date_time: datetime | None
    next_follow_up: datetime | None
    created_by: uuid.UUID | None
    created_at: datetime
    id: int = 0
    account_seq: int = 0  # claimed on insert


@dataclass(slots=True)
class PlannedShowing:
    prospect: PlannedProspect
    unit_id: int
    planned_date_time: datetime
    showing_method: str | None
    status: str
    created_at: datetime
    updated_at: datetime
    feedback: str | None = None
    cancellation_reason: str | None = None
    id: int = 0


@dataclass(slots=True)
class PlannedGroup:
    prospect: PlannedProspect
    unit_id: int
    status: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None
    id: int = 0


@dataclass(slots=True)
class PlannedCall:
    prospect: PlannedProspect | None
    direction: str
    contact_number: str
    status: str
    call_duration: int | None
    user_id: uuid.UUID | None
    created_at: datetime
    id: int = 0


@dataclass(slots=True)
class PlannedMessage:
    prospect: PlannedProspect | None
    direction: str
    channel: str
    contact: str
    body: str
    user_id: uuid.UUID | None
    created_at: datetime
    id: int = 0


class EventInstants:
    """The instants events are planned at that a later event could still take.

    A claimed position moves an event tied with the one before it a microsecond on, which would
    part it from the rows planned at the same instant (its showing, its prospect's `updated_at`);
    stories take free instants instead."""

    def __init__(self) -> None:
        self.taken: set[datetime] = set()

    def free(self, at: datetime) -> datetime:
        while at in self.taken:
            at += ONE_MICROSECOND
        return at

    def take(self, at: datetime) -> None:
        self.taken.add(at)

    def forget_before(self, horizon: datetime) -> None:
        # Every later event is at or after the horizon.
        self.taken = {at for at in self.taken if at >= horizon}


@dataclass
class Pipeline:
    """One batch of stories, each list in time order (stable: a prospect's own items keep theirs).
    Its events are those due (see `PipelinePlanner.plan`), some of them of earlier batches' stories."""

    prospects: list[PlannedProspect] = field(default_factory=list)
    events: list[PlannedLeasingEvent] = field(default_factory=list)
    showings: list[PlannedShowing] = field(default_factory=list)
    groups: list[PlannedGroup] = field(default_factory=list)
    calls: list[PlannedCall] = field(default_factory=list)
    messages: list[PlannedMessage] = field(default_factory=list)

    def sort(self) -> None:
        self.events.sort(key=lambda row: row.created_at)
        self.calls.sort(key=lambda row: row.created_at)
        self.messages.sort(key=lambda row: row.created_at)


class PipelinePlanner:
    """Plans `total` prospects in creation order (so ids grow with `created_at`), batch by batch."""

    def __init__(
        self,
        rng: random.Random,
        units: Sequence[DemoUnit],
        members: Sequence[uuid.UUID],
        hours: ShowingHours,
        total: int,
        now: datetime,
    ) -> None:
        self.rng = rng
        self.hours = hours
        self.units = units
        self.available = [unit for unit in units if unit.available]
        self.members = members
        self.now = now
        self.times = creation_times(rng, total, now)
        self.upcoming = next(self.times, None)
        self.recent: deque[tuple[Person, DemoUnit | None]] = deque(maxlen=40)
        self.instants = EventInstants()
        self.held: list[PlannedLeasingEvent] = []

    def plan(self, size: int) -> Pipeline:
        """The next `size` prospects with their stories, and the events due: those before the
        next batch's first prospect (every event of a later story comes after it)."""
        out = Pipeline(events=self.held)
        for _ in range(size):
            prospect = self._prospect(self._next_time())
            out.prospects.append(prospect)
            Story(self.rng, self.now, self.members, self.hours, prospect, out, self.instants).tell()
            if self.rng.random() < UNKNOWN_CONTACT_SHARE:
                stranger_contact(self.rng, prospect.created_at, self.now, out)
        out.sort()
        out.events, self.held = self._due(out.events)
        return out

    def _next_time(self) -> datetime:
        assert self.upcoming is not None  # the loader plans `total` prospects, no more
        created_at, self.upcoming = self.upcoming, next(self.times, None)
        return self.instants.free(created_at)

    def _due(
        self, events: list[PlannedLeasingEvent]
    ) -> tuple[list[PlannedLeasingEvent], list[PlannedLeasingEvent]]:
        """The events (in time order) split into those due now and those held for a later batch."""
        if self.upcoming is None:
            return events, []
        cut = bisect.bisect_left([event.created_at for event in events], self.upcoming)
        self.instants.forget_before(self.upcoming)
        return events[:cut], events[cut:]

    def _prospect(self, created_at: datetime) -> PlannedProspect:
        rng = self.rng
        person, unit = self._person_and_unit()
        self.recent.append((person, unit))
        return PlannedProspect(
            person=person,
            unit=unit,
            source=_pick(rng, leads.LEAD_SOURCES),
            prospect_type="Agent" if rng.random() < AGENT_SHARE else "Self",
            credit_score=_pick(rng, leads.CREDIT_BANDS),
            income=leads.income_range(rng),
            notes=rng.choice(leads.PROSPECT_NOTES),
            created_at=created_at,
            updated_at=created_at,
        )

    def _person_and_unit(self) -> tuple[Person, DemoUnit | None]:
        if self.recent and self.rng.random() < SHARED_PERSON_SHARE:
            person, first_unit = self.rng.choice(self.recent)
            unit = self._unit()
            for _ in range(MAX_REDRAWS):  # another unit than the first, where the account has one
                if unit != first_unit:
                    break
                unit = self._unit()
            return person, unit
        return leads.person(self.rng), self._unit()

    def _unit(self) -> DemoUnit | None:
        # Most leads ask about listed homes; the rest about homes listed when they asked.
        if self.available and self.rng.random() < 0.85:
            return self.rng.choice(self.available)
        return self.rng.choice(self.units) if self.units else None


def creation_times(rng: random.Random, total: int, now: datetime) -> Iterator[datetime]:
    """`total` rising instants: most spread over the last 120 days, a few from the last hours."""
    today = round(total * TODAY_SHARE)
    earlier = total - today
    start, end = now - SPAN, now - TODAY
    for n in range(earlier):
        yield start + (end - start) * ((n + rng.random()) / earlier)
    for n in range(today):
        yield end + (TODAY - timedelta(minutes=5)) * ((n + rng.random()) / today)


def stranger_contact(rng: random.Random, around: datetime, now: datetime, out: Pipeline) -> None:
    """A call or a text from a number that belongs to no prospect, some time after `around`."""
    number = leads.phone_number(rng)
    at = min(around + timedelta(minutes=rng.uniform(1, 600)), now)
    if rng.random() < 0.6:
        status = rng.choice(("missed", "missed", "voicemail", "completed"))
        duration = None if status == "missed" else rng.randint(10, 180)
        out.calls.append(PlannedCall(None, "inbound", number, status, duration, None, at))
    else:
        body = rng.choice(leads.UNKNOWN_TEXTS)
        out.messages.append(PlannedMessage(None, "inbound", "Text Message", number, body, None, at))


def _pick(rng: random.Random, outcomes: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([o for o, _ in outcomes], weights=[w for _, w in outcomes])[0]


Step = Callable[[], "Step | None"]


class Story:
    """One prospect's way through the pipeline; each step returns the next, or None at the end."""

    def __init__(
        self,
        rng: random.Random,
        now: datetime,
        members: Sequence[uuid.UUID],
        hours: ShowingHours,
        prospect: PlannedProspect,
        out: Pipeline,
        instants: EventInstants,
    ) -> None:
        self.rng = rng
        self.instants = instants
        self.now = now
        self.hours = hours
        self.prospect = prospect
        self.out = out
        self.clock = prospect.created_at
        # The one user who handles this prospect (outbound calls and texts, manual events), if any.
        self.agent: uuid.UUID | None = rng.choice(members) if members else None
        self.showing: PlannedShowing | None = None
        self.group: PlannedGroup | None = None

    def tell(self) -> None:
        step: Step | None = self.new_lead
        while step is not None:
            step = step()

    # The steps.

    def new_lead(self) -> Step | None:
        source = self.prospect.source
        channel = {"Phone Call": "Phone Call", "Facebook": "Facebook Message"}.get(source, "Automation")
        self.event("New", channel, notes=f"New lead from {source}", by_agent=False)
        if source == "Phone Call":
            self.call("inbound", "completed", self.rng.randint(60, 420))
        elif source == "Facebook":
            self.message("inbound", "Facebook Message", "inquiry")
        else:
            self.message("inbound", self.rng.choice(("Email", "Email", "Text Message")), "inquiry")
        if self.agent is not None and self.rng.random() < 0.4 and self.wait(minutes=(1, 30)):
            self.event(
                ASSIGN_TO_USER, "Automation", context={"assignedToUserIds": [str(self.agent)]}, by_agent=False
            )
        return self.first_contact

    def first_contact(self) -> Step | None:
        if not self.wait(minutes=(10, 20 * 60)):
            return None
        if self.rng.random() < 0.14:
            return self.unanswered
        channel = _pick(self.rng, (("Text Message", 55), ("Phone Call", 25), ("Email", 20)))
        if channel == "Phone Call":
            self.call("outbound", "completed", self.rng.randint(90, 600))
        else:
            self.message("outbound", channel, "first_contact")
        self.event("Contacted", channel, follow_up=self.clock + timedelta(days=2))
        return self.after_contact

    def unanswered(self) -> Step | None:
        """A few attempts that reach no one, then the prospect is marked as ghosting."""
        for _ in range(self.rng.randint(1, 3)):
            self.call("outbound", self.rng.choice(("missed", "voicemail")), None)
            self.message("outbound", "Text Message", "follow_up")
            if not self.wait(days=(1, 3)):
                return None
        self.event("Ghosting", "Automation", notes="No answer after several attempts")
        return None

    def after_contact(self) -> Step | None:
        if not self.wait(hours=(1, 72)):
            return None
        if self.rng.random() < 0.3:
            self.call("inbound", "completed", self.rng.randint(45, 300))
        else:
            self.message("inbound", "Text Message", "reply")
        low_credit = self.prospect.credit_score in LOW_CREDIT and self.prospect.prospect_type == "Self"
        showable = self.prospect.unit is not None
        outcome = _pick(
            self.rng,
            (
                (self.schedule, 55 if showable else 0),
                (self.showing_desired, 5),
                (self.awaiting_information, 8),
                ("Still Deciding", 7),
                ("Not Interested", 9),
                ("Prescreen Rejected - Credit", 30 if low_credit else 0),
                ("Unit of Interest Unavailable", 3),
                ("Ghosting", 6),
                ("Blocklist Prospect", 0.3),
            ),
        )
        if callable(outcome):
            step: Step = outcome
            return step
        self.final(outcome)
        return None

    def showing_desired(self) -> Step | None:
        self.event("Showing Desired", "Text Message", follow_up=self.clock + timedelta(days=1))
        if self.prospect.unit is None or not self.wait(hours=(2, 48)):
            return None
        return self.schedule

    def awaiting_information(self) -> Step | None:
        self.event(
            "Awaiting Information",
            "Email",
            notes=self.rng.choice(
                ("Asked for proof of income", "Waiting on pet details", "Asked about move-in")
            ),
            follow_up=self.clock + timedelta(days=3),
        )
        if not self.wait(days=(1, 4)):
            return None
        if self.rng.random() < 0.6 and self.prospect.unit is not None:
            return self.showing_desired
        self.final("Ghosting")
        return None

    def schedule(self) -> Step | None:
        unit = self.prospect.unit
        assert unit is not None  # a story schedules only prospects of a unit
        planned = self.hours.slot_after(self.rng, self.clock)
        self.showing = PlannedShowing(
            self.prospect, unit.id, planned, unit.showing_method, "Scheduled", self.clock, self.clock
        )
        self.out.showings.append(self.showing)
        context = {"showingMethod": unit.showing_method} if unit.showing_method else None
        self.event("Showing Scheduled", "Automation", planned=planned, context=context)
        self.message("outbound", "Text Message", "confirmation")
        reminder = planned - timedelta(hours=2)
        if self.clock < reminder <= self.now:
            self.message("outbound", "Text Message", "reminder", at=reminder)
        if planned > self.now:
            return None
        return self.showing_outcome

    def showing_outcome(self) -> Step | None:
        outcome = _pick(self.rng, ((self.canceled, 12), (self.missed, 13), (self.completed, 75)))
        step: Step = outcome
        return step

    def canceled(self) -> Step | None:
        showing = self._current_showing()
        self.clock = self.instants.free(
            self.clock + (showing.planned_date_time - self.clock) * self.rng.uniform(0.3, 0.95)
        )
        reason = self.rng.choice(leads.CANCELLATION_REASONS)
        self.message("inbound", "Text Message", "canceled")
        self._finish_showing("Canceled", cancellation_reason=reason)
        self.event("Showing Canceled", "Text Message", notes=reason)
        if self.rng.random() < 0.4 and self.wait(hours=(2, 48)):
            return self.schedule
        return None

    def missed(self) -> Step | None:
        self._after_showing_time()
        self._finish_showing("Missed")
        self.event("Missed Showing", "Automation")
        self.call("outbound", self.rng.choice(("missed", "voicemail")), None)
        self.message("outbound", "Text Message", "missed")
        roll = self.rng.random()
        if roll < 0.35 and self.wait(hours=(4, 72)):
            return self.schedule
        if roll < 0.75 and self.wait(days=(3, 8)):
            self.final("Ghosting")
        return None

    def completed(self) -> Step | None:
        self._after_showing_time()
        self._finish_showing("Completed", feedback=self.rng.choice(leads.SHOWING_FEEDBACK))
        self.event("Showing Complete", "Automation")
        self.message("outbound", "Text Message", "feedback")
        return self.after_showing

    def after_showing(self) -> Step | None:
        if not self.wait(hours=(2, 72)):
            return None
        outcome = _pick(
            self.rng,
            (
                (self.send_application, 52),
                (self.still_deciding, 20),
                ("Not Interested", 18),
                ("Ghosting", 10),
            ),
        )
        if callable(outcome):
            step: Step = outcome
            return step
        if outcome == "Not Interested":
            self.message("inbound", "Text Message", "not_interested")
        self.final(outcome)
        return None

    def still_deciding(self) -> Step | None:
        self.event("Still Deciding", "Phone Call", follow_up=self.clock + timedelta(days=3))
        if self.rng.random() < 0.35 and self.wait(days=(1, 5)):
            return self.send_application
        return None

    def send_application(self) -> Step | None:
        unit = self.prospect.unit
        assert unit is not None  # only prospects of a unit reach an application
        self.message("outbound", "Email", "application")
        self.event("Application Sent to Prospect", "Email")
        self.group = PlannedGroup(self.prospect, unit.id, "In Progress", self.clock, self.clock)
        self.out.groups.append(self.group)
        if not self.wait(hours=(4, 96)):
            return None
        roll = self.rng.random()
        if roll < 0.65:
            return self.application_received
        if roll < 0.8:
            self._group_status("Withdrawn")
            self.event("Withdrawn", "Email", notes="Prospect withdrew the application")
        return None

    def application_received(self) -> Step | None:
        group = self._current_group()
        self._group_status("Submitted")
        group.submitted_at = self.clock
        self.event("Application Received", "Automation")
        if not self.wait(days=(1, 5)):
            return None
        outcome = _pick(self.rng, (("Approved", 62), ("Rejected", 18), ("Withdrawn", 8), (None, 12)))
        if outcome is None:  # still being screened
            return None
        self._group_status(outcome)
        if outcome == "Approved":
            self.event("Application Approved", "Automation")
            self.message("outbound", "Email", "approved")
            return self.move_in
        if outcome == "Rejected":
            self.event(APPLICATION_REJECTED, "Automation", notes="Did not meet the income requirement")
        else:
            self.event("Withdrawn", "Email", notes="Prospect withdrew the application")
        return None

    def move_in(self) -> Step | None:
        if self.rng.random() < 0.8 and self.wait(days=(7, 21)):
            self.event("Moved In", "Other")
        return None

    # What the steps record.

    def wait(
        self,
        *,
        minutes: tuple[float, float] | None = None,
        hours: tuple[float, float] | None = None,
        days: tuple[float, float] | None = None,
    ) -> bool:
        """Moves the clock on by a random gap; False (clock unchanged) when that lies in the future."""
        low, high = minutes or (0, 0)
        if hours:
            low, high = hours[0] * 60, hours[1] * 60
        if days:
            low, high = days[0] * 1440, days[1] * 1440
        at = self.instants.free(self.clock + timedelta(minutes=self.rng.uniform(low, high)))
        if at > self.now:
            return False
        self.clock = at
        return True

    def event(
        self,
        event_type: str,
        source: str,
        *,
        notes: str | None = None,
        planned: datetime | None = None,
        follow_up: datetime | None = None,
        context: dict[str, Any] | None = None,
        by_agent: bool = True,
    ) -> None:
        prospect = self.prospect
        self.instants.take(self.clock)
        self.out.events.append(
            PlannedLeasingEvent(
                prospect,
                event_type,
                source,
                notes,
                context,
                planned,
                follow_up,
                self.agent if by_agent else None,
                self.clock,
            )
        )
        if event_type in STATUS_OF_EVENT:
            prospect.status = STATUS_OF_EVENT[event_type]
            prospect.updated_at = self.clock

    def final(self, event_type: str) -> None:
        self.event(event_type, self.rng.choice(("Text Message", "Phone Call", "Automation")))

    def call(self, direction: str, status: str, duration: int | None) -> None:
        if status == "voicemail":
            duration = self.rng.randint(15, 45)
        agent = self.agent if direction == "outbound" else None
        phone = self.prospect.person.phone
        self.out.calls.append(
            PlannedCall(self.prospect, direction, phone, status, duration, agent, self._soon())
        )

    def message(self, direction: str, channel: str, kind: str, *, at: datetime | None = None) -> None:
        person = self.prospect.person
        contact = person.email if channel == "Email" else person.phone
        body = leads.message_text(
            self.rng, kind, first=person.first_name, street=self._street(), when=self._when()
        )
        agent = self.agent if direction == "outbound" else None
        self.out.messages.append(
            PlannedMessage(self.prospect, direction, channel, contact, body, agent, at or self._soon())
        )

    def _soon(self) -> datetime:
        """A moment just after the clock (activity around a step), never in the future."""
        return min(self.clock + timedelta(seconds=self.rng.uniform(0, 300)), self.now)

    def _street(self) -> str:
        return self.prospect.unit.street if self.prospect.unit else "the home"

    def _when(self) -> str:
        if self.showing is None:
            return ""
        return self.hours.spoken(self.showing.planned_date_time)

    def _after_showing_time(self) -> None:
        """The clock moves to just after the showing's time (clamped to now)."""
        showing = self._current_showing()
        at = showing.planned_date_time + timedelta(minutes=self.rng.uniform(30, 120))
        self.clock = self.instants.free(min(at, self.now))

    def _current_showing(self) -> PlannedShowing:
        assert self.showing is not None  # the outcome steps follow `schedule`
        return self.showing

    def _current_group(self) -> PlannedGroup:
        assert self.group is not None  # the application steps follow `send_application`
        return self.group

    def _finish_showing(
        self, status: str, *, feedback: str | None = None, cancellation_reason: str | None = None
    ) -> None:
        showing = self._current_showing()
        showing.status = status
        showing.feedback = feedback
        showing.cancellation_reason = cancellation_reason
        showing.updated_at = self.clock

    def _group_status(self, status: str) -> None:
        group = self._current_group()
        group.status = status
        group.updated_at = self.clock
