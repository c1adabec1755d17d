"""The steps of the leasing pipeline a prospect has reached, kept on the prospect as bits.

Reports count, per lead source, the prospects of a period that went on to be shown a home, to
apply, to be approved (API.md §15.2). Reading every prospect's events for that would cost one index
probe per prospect; instead each leasing event sets its step's bit in `prospects.milestones` as it
is written, and a report reads one index range of prospects. A bit, once set, stays set: a
milestone is something that happened, whatever the prospect's status is now.
"""

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
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
    """`milestone_of` in SQL, for set-based recomputation."""
    whens = [(event_type == name, bit) for name, bit in BIT_OF_EVENT_TYPE.items()]
    # Not LIKE, which ignores case on SQLite and not on PostgreSQL: `milestone_of` minds case.
    prefix = func.substr(event_type, 1, len(PRESCREEN_REJECTED_PREFIX))
    whens.append((prefix == PRESCREEN_REJECTED_PREFIX, PRESCREEN_REJECTED))
    return case(*whens, else_=0)


async def recompute(session: AsyncSession, prospect_ids: Iterable[int]) -> None:
    """Sets the prospects' milestones from all their stored events, and recounts their funnel days
    (bulk loads, repairs).

    The distinct bits of a prospect's events are distinct powers of two, so their sum is their
    bitwise or, on every backend."""
    from rentengine.leasing.models import LeasingEvent  # leasing imports this module
    from rentengine.prospects.models import Prospect

    bits = milestone_expression(LeasingEvent.event_type)
    reached = (
        select(func.coalesce(func.sum(bits.distinct()), 0))
        .where(LeasingEvent.prospect_id == Prospect.id)
        .scalar_subquery()
    )
    from rentengine.prospects import funnel

    ids = list(prospect_ids)
    days: dict[uuid.UUID, set[date]] = {}
    for start in range(0, len(ids), _IDS_PER_STATEMENT):
        chunk = ids[start : start + _IDS_PER_STATEMENT]
        await session.execute(
            update(Prospect).where(Prospect.id.in_(chunk)).values(milestones=reached),
            execution_options={"synchronize_session": False},
        )
        for account_id, created_at in await session.execute(
            select(Prospect.account_id, Prospect.created_at).where(Prospect.id.in_(chunk))
        ):
            days.setdefault(account_id, set()).add(funnel.utc_day(created_at))
    for account_id, account_days in days.items():
        await funnel.rebuild_days(session, account_id, account_days)


_IDS_PER_STATEMENT = 500  # well under SQLite's bound-parameter limit
