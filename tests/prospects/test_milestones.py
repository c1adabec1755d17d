"""A prospect's pipeline steps (`prospects.milestones`), which the marketing-sources report reads:
set by each event as it is written, never lost to a concurrent writer; the SQL rule bulk loads use
agrees with the Python one."""

import asyncio

from sqlalchemy import literal, select

from rentengine.prospects import milestones
from rentengine.prospects.models import Prospect
from rentengine.runtime import Runtime
from tests.factories import Tenant, make_prospect_row
from tests.leasing.factories import record_event_at


async def _stored(runtime: Runtime, prospect_id: int) -> int:
    async with runtime.db.transaction(writes=False) as session:
        prospect = await session.get(Prospect, prospect_id)
        assert prospect is not None
        return prospect.milestones


def test_each_step_has_its_bit_and_other_events_none() -> None:
    assert milestones.milestone_of("Showing Scheduled") == milestones.SHOWING_SCHEDULED
    assert milestones.milestone_of("Application Approved") == milestones.APPLICATION_APPROVED
    assert milestones.milestone_of("Prescreen Rejected - Income") == milestones.PRESCREEN_REJECTED
    for other in ("Assign to User", "Contacted", "prescreen rejected - credit", "Showing Canceled"):
        assert milestones.milestone_of(other) == 0


async def test_events_set_the_bits_of_their_steps(runtime: Runtime, tenant: Tenant) -> None:
    prospect = await make_prospect_row(runtime, tenant.account_id)
    for event_type in (
        "Contacted",
        "Showing Scheduled",
        "Showing Scheduled",
        "Showing Complete",
        "prescreen rejected - credit",  # another spelling is not the step, on every backend
        "Prescreen Rejected - Credit",
    ):
        await record_event_at(runtime, prospect, event_type)
    expected = milestones.SHOWING_SCHEDULED | milestones.SHOWING_COMPLETED | milestones.PRESCREEN_REJECTED
    assert await _stored(runtime, prospect) == expected


async def test_the_sql_rule_gives_the_bits_of_the_python_rule(runtime: Runtime) -> None:
    # Bulk loads set the bits in SQL; the two rules must agree, case included, on every backend.
    types = [
        "Showing Scheduled",
        "Application Approved",
        "Prescreen Rejected - Income",
        "prescreen rejected",
        "New",
    ]
    async with runtime.db.transaction(writes=False) as session:
        found = [await session.scalar(select(milestones.milestone_expression(literal(t)))) for t in types]
    assert found == [milestones.milestone_of(t) for t in types]


async def test_two_writers_at_once_keep_both_steps(runtime: Runtime, tenant: Tenant) -> None:
    prospect = await make_prospect_row(runtime, tenant.account_id)
    steps = ("Showing Complete", "Application Received", "Application Approved", "Showing Scheduled")
    await asyncio.gather(*(record_event_at(runtime, prospect, step) for step in steps))
    assert await _stored(runtime, prospect) == sum(milestones.milestone_of(step) for step in steps)
