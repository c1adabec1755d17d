"""Leasing events: their wire form, the list, and recording events (one through the API, others by
platform code such as showings, which calls `record_event`)."""

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from rentengine.auth.access import visible
from rentengine.auth.service import Principal
from rentengine.changes.recorded import recorded_create
from rentengine.changes.types import Actor, Record
from rentengine.db.positions import claim_slot
from rentengine.envelope import envelope
from rentengine.errors import BadRequest, detail
from rentengine.kit.clock import isoformat_z, utc_now
from rentengine.leasing import repository
from rentengine.leasing.models import LeasingEvent, LeasingEventCounter
from rentengine.leasing.schemas import LeasingEventCreate, LeasingEventIn, LeasingEventQuery
from rentengine.prospects import funnel
from rentengine.prospects.milestones import milestone_of
from rentengine.prospects.models import Prospect
from rentengine.prospects.repository import get_prospect, same_phone_prospects

TABLE = "leasing_events"


def _instant(value: datetime | None) -> str | None:
    return None if value is None else isoformat_z(value)


def leasing_event_to_wire(event: LeasingEvent) -> Record:
    """The GET representation of an event, which is also its audit and webhook record."""
    return {
        "id": event.id,
        "prospect": event.prospect_id,
        "event_type": event.event_type,
        "source": event.source,
        "notes": event.notes,
        "context": event.context,
        "planned_date_time": _instant(event.planned_date_time),
        "created_at": isoformat_z(event.created_at),
        "next_follow_up": _instant(event.next_follow_up),
        "created_by": None if event.created_by is None else str(event.created_by),
    }


async def list_events(
    session: AsyncSession, principal: Principal, query: LeasingEventQuery
) -> dict[str, Any]:
    """One `env` page of the events of all the caller's accounts."""
    rows = await repository.list_events(session, principal.account_ids, query)
    return envelope(rows, query, leasing_event_to_wire)


async def record_event(
    session: AsyncSession,
    actor: Actor,
    prospect: Prospect,
    event_type: str,
    *,
    source: str | None = None,
    notes: str | None = None,
    context: dict[str, Any] | None = None,
    planned_date_time: datetime | None = None,
    next_follow_up: datetime | None = None,
    created_at: datetime | None = None,
) -> Record:
    """Records one event of the prospect, created by the acting user, in the prospect's account.

    The caller has checked that it may act on the prospect and that the values are valid
    (`source` at most 40 characters, `event_type` at most 100). Writes the audit entry and the
    `leasing_events` webhooks; returns the event's record.

    The event takes the next position of the prospect's account, and with it a creation time after
    the account's latest event: `created_at` when that is later, else one microsecond after it.
    """
    # Claimed before the row is added: the id, drawn on flush under the account's counter row,
    # then follows the position.
    slot = await claim_slot(session, LeasingEventCounter, prospect.account_id, created_at)
    event = LeasingEvent(
        account_id=prospect.account_id,
        prospect_id=prospect.id,
        event_type=event_type,
        source=source,
        notes=notes,
        context=context,
        planned_date_time=planned_date_time,
        next_follow_up=next_follow_up,
        created_by=actor.user_id,
        created_at=slot.created_at,
        account_seq=slot.account_seq,
    )
    session.add(event)
    await _mark_milestone(session, prospect, event_type)
    return await recorded_create(session, actor, TABLE, event, lambda: leasing_event_to_wire(event))


async def _mark_milestone(session: AsyncSession, prospect: Prospect, event_type: str) -> None:
    """Sets the step's bit on the prospect, and counts the step in its funnel row the first time.

    One conditional UPDATE: of two writers reaching the same step at once, one sets the bit and
    counts it (the other waits on the row, then finds it set); a writer of another step keeps it."""
    bit = milestone_of(event_type)
    if not bit:
        return
    await session.flush()  # a prospect created in this transaction is inserted first
    reached = await session.scalar(
        update(Prospect)
        .where(Prospect.id == prospect.id, Prospect.milestones.op("&")(bit) == 0)
        .values(milestones=Prospect.milestones.op("|")(bit))
        .returning(Prospect.milestones),
        execution_options={"synchronize_session": False},
    )
    if reached is not None:
        set_committed_value(prospect, "milestones", reached)
        await funnel.count_step(session, prospect, bit)


async def create_event(
    session: AsyncSession, principal: Principal, actor: Actor, body: LeasingEventCreate
) -> Record:
    """Records the body's one event; with `applyActionInBulk`, also one for every other prospect of
    the account with the same phone number. Returns the record of the requested prospect's event."""
    [sent] = body.events
    prospect = visible(principal, await get_prospect(session, sent.prospect_id))
    await _require_members(session, prospect, sent)
    context = sent.context.model_dump(mode="json")
    now = utc_now()

    async def record(target: Prospect) -> Record:
        return await record_event(
            session,
            actor,
            target,
            sent.event_type,
            source=sent.source,
            notes=sent.notes,
            context=context,
            created_at=now,
        )

    created = await record(prospect)
    if sent.context.applyActionInBulk:
        for sibling in await same_phone_prospects(session, prospect):
            await record(sibling)
    return created


async def _require_members(session: AsyncSession, prospect: Prospect, sent: LeasingEventIn) -> None:
    """400 naming each assignee who is not a member of the prospect's account."""
    wanted = sent.context.assignedToUserIds
    members = await repository.members_among(session, prospect.account_id, wanted)
    outsiders = [(i, user_id) for i, user_id in enumerate(wanted) if user_id not in members]
    if outsiders:
        raise BadRequest(
            [
                detail(
                    "membership",
                    f"/events/0/context/assignedToUserIds/{i}",
                    "must be a member of the prospect's account",
                    {"userId": str(user_id), "account_id": str(prospect.account_id)},
                )
                for i, user_id in outsiders
            ]
        )
