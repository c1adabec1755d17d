"""The steps of the leasing pipeline a prospect has reached, kept on the prospect as bits.

Reports count, per lead source, the prospects of a period that went on to be shown a home, to
apply, to be approved (API.md §15.2). Reading every prospect's events for that would cost one index
probe per prospect; instead each leasing event sets its step's bit in `prospects.milestones` as it
is written, and a report reads one index range of prospects. A bit, once set, stays set: a
milestone is something that happened, whatever the prospect's status is now.
"""

from sqlalchemy import ColumnElement, case, func
from sqlalchemy.orm import InstrumentedAttribute

SHOWING_SCHEDULED = 1
SHOWING_COMPLETED = 2
APPLICATION_REQUESTED = 4
APPLICATION_SUBMITTED = 8
APPLICATION_APPROVED = 16
PRESCREEN_REJECTED = 32

BIT_OF_EVENT_TYPE: dict[str, int] = {
    "Showing Scheduled": SHOWING_SCHEDULED,
    "Showing Complete": SHOWING_COMPLETED,
    "Application Sent to Prospect": APPLICATION_REQUESTED,
    "Application Received": APPLICATION_SUBMITTED,
    "Application Approved": APPLICATION_APPROVED,
}
# `Prescreen Rejected`, `Prescreen Rejected - Credit`, `Prescreen Rejected - Income`, …
PRESCREEN_REJECTED_PREFIX = "Prescreen Rejected"


def milestone_of(event_type: str) -> int:
    """The bit an event of this type sets, 0 for an event that marks no step."""
    if event_type.startswith(PRESCREEN_REJECTED_PREFIX):
        return PRESCREEN_REJECTED
    return BIT_OF_EVENT_TYPE.get(event_type, 0)


def milestone_expression(event_type: ColumnElement[str] | InstrumentedAttribute[str]) -> ColumnElement[int]:
    """`milestone_of` in SQL, for set-based loads (the bench's bulk loader)."""
    whens = [(event_type == name, bit) for name, bit in BIT_OF_EVENT_TYPE.items()]
    # Not LIKE, which ignores case on SQLite and not on PostgreSQL: `milestone_of` minds case.
    prefix = func.substr(event_type, 1, len(PRESCREEN_REJECTED_PREFIX))
    whens.append((prefix == PRESCREEN_REJECTED_PREFIX, PRESCREEN_REJECTED))
    return case(*whens, else_=0)
