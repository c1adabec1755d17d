"""Writes planned leasing stories: one bulk INSERT per table and batch, with ids reserved up front.

Ids come from where an API insert would take them: PostgreSQL's sequence of the column (`nextval`,
so the sequence stays ahead of every stored id), or on SQLite the next rowids above the highest,
which the batch's transaction holds the write lock over. Knowing the ids before inserting links the
children to their prospect without RETURNING, which would cost one statement per row when the
rows' order must be kept. Each batch records its changes through the change seam like any API write.

Prospects and leasing events also take their accounts' next positions (`rentengine.db.positions`),
claimed before their ids are drawn so that ids follow positions, as on an API insert. The planned
times are kept, unless the account already has a row at or after one: then the batch lands after
that row, a microsecond apart.
"""

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.agents.showing_settings import settings_of
from rentengine.applications.models import RentalApplicationGroup
from rentengine.applications.service import group_to_wire
from rentengine.auth.models import Account, Membership
from rentengine.changes.seam import record_changes
from rentengine.changes.types import Actor, Change, Record
from rentengine.communications.models import Call, Message
from rentengine.communications.service import call_to_wire, message_to_wire
from rentengine.db.positions import CounterColumns, claim_slots
from rentengine.demo.stories import (
    DemoUnit,
    Pipeline,
    PlannedCall,
    PlannedGroup,
    PlannedLeasingEvent,
    PlannedMessage,
    PlannedProspect,
    PlannedShowing,
    ShowingHours,
)
from rentengine.leasing.models import LeasingEvent, LeasingEventCounter
from rentengine.leasing.service import leasing_event_to_wire
from rentengine.prospects import funnel
from rentengine.prospects.milestones import milestone_of
from rentengine.prospects.models import Prospect, ProspectCounter
from rentengine.prospects.service import prospect_to_wire
from rentengine.showings.models import Showing
from rentengine.showings.service import showing_to_wire
from rentengine.units.models import Address, Unit


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


PROSPECTS = _table(Prospect)
LEASING_EVENTS = _table(LeasingEvent)
SHOWINGS = _table(Showing)
GROUPS = _table(RentalApplicationGroup)
CALLS = _table(Call)
MESSAGES = _table(Message)


class _Numbered(Protocol):
    id: int


Row = TypeVar("Row", bound=_Numbered)


class _Positioned(_Numbered, Protocol):
    created_at: datetime
    account_seq: int


async def story_units(session: AsyncSession, account_id: uuid.UUID) -> list[DemoUnit]:
    """The account's units, whatever wrote them, in id order (the plan depends on nothing else)."""
    rows = await session.execute(
        select(Unit.id, Unit.showing_method, Unit.status, Address.street_number, Address.street_name)
        .join(Address, Unit.address_id == Address.id)
        .where(Unit.account_id == account_id)
        .order_by(Unit.id)
    )
    return [
        DemoUnit(
            row.id, row.showing_method, f"{row.street_number} {row.street_name}", row.status == "Available"
        )
        for row in rows
    ]


async def showing_hours(session: AsyncSession, account_id: uuid.UUID) -> ShowingHours:
    account = await session.get(Account, account_id)
    assert account is not None  # the loader checked it
    return ShowingHours.of(settings_of(account))


async def member_ids(session: AsyncSession, account_id: uuid.UUID) -> list[uuid.UUID]:
    """The account's users, who handle the prospects (none for a fresh `demo-data` account)."""
    rows = await session.scalars(
        select(Membership.user_id).where(Membership.account_id == account_id).order_by(Membership.user_id)
    )
    return list(rows)


async def insert_pipeline(
    session: AsyncSession, actor: Actor, account_id: uuid.UUID, pipeline: Pipeline
) -> None:
    """Inserts one batch of stories, prospects first (their ids link the rest), and records it."""
    await _claim_positions(session, account_id, pipeline.prospects, ProspectCounter)
    await _insert(session, PROSPECTS, pipeline.prospects, lambda row: _prospect_values(row, account_id))
    await _claim_positions(session, account_id, pipeline.events, LeasingEventCounter)
    await _insert(session, LEASING_EVENTS, pipeline.events, lambda row: _event_values(row, account_id))
    await _mark_milestones(session, pipeline.events)
    touched = [*pipeline.prospects, *(event.prospect for event in pipeline.events)]
    await funnel.rebuild_days(session, account_id, {funnel.utc_day(row.created_at) for row in touched})
    await _insert(session, SHOWINGS, pipeline.showings, lambda row: _showing_values(row, account_id))
    await _insert(session, GROUPS, pipeline.groups, lambda row: _group_values(row, account_id))
    await _insert(session, CALLS, pipeline.calls, lambda row: _call_values(row, account_id))
    await _insert(session, MESSAGES, pipeline.messages, lambda row: _message_values(row, account_id))
    await record_changes(session, actor, _changes(pipeline, account_id))


async def _insert(
    session: AsyncSession, table: Table, rows: Sequence[Row], values: Callable[[Row], dict[str, Any]]
) -> None:
    if not rows:
        return
    ids = await _reserve_ids(session, table, len(rows))
    for row, row_id in zip(rows, ids, strict=True):
        row.id = row_id
    await session.execute(insert(table), [{"id": row.id, **values(row)} for row in rows])


async def _mark_milestones(session: AsyncSession, events: Sequence[PlannedLeasingEvent]) -> None:
    """Sets the steps the batch's events mark on their prospects, some inserted by earlier batches."""
    reached: dict[int, int] = {}
    for event in events:
        bit = milestone_of(event.event_type)
        if bit:
            reached[event.prospect.id] = reached.get(event.prospect.id, 0) | bit
    if reached:
        await session.execute(
            update(PROSPECTS)
            .where(PROSPECTS.c.id == bindparam("prospect_id"))
            .values(milestones=PROSPECTS.c.milestones.op("|")(bindparam("bits"))),
            [{"prospect_id": pid, "bits": bits} for pid, bits in reached.items()],
        )


async def _claim_positions(
    session: AsyncSession, account_id: uuid.UUID, rows: Sequence[_Positioned], counter: type[CounterColumns]
) -> None:
    """Gives the rows (in time order, which their ids will follow) the account's next positions,
    and the creation times that go with them. Called before their ids are reserved."""
    if not rows:
        return
    slots = await claim_slots(session, counter, [account_id] * len(rows), [row.created_at for row in rows])
    for row, slot in zip(rows, slots, strict=True):
        row.created_at, row.account_seq = slot.created_at, slot.account_seq


async def _reserve_ids(session: AsyncSession, table: Table, count: int) -> list[int]:
    """`count` unused ids of `table`, ascending, that no other insert will take."""
    if session.get_bind().dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(table.name, "id")
        drawn = select(func.nextval(sequence)).select_from(func.generate_series(1, count))
        return sorted((await session.scalars(drawn)).all())
    highest: int = await session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0
    return list(range(highest + 1, highest + 1 + count))


def _changes(pipeline: Pipeline, account_id: uuid.UUID) -> list[Change]:
    tables: list[tuple[str, list[Record]]] = [
        ("prospects", [prospect_record(row, account_id) for row in pipeline.prospects]),
        ("leasing_events", [leasing_event_record(row, account_id) for row in pipeline.events]),
        ("showings", [_showing_record(row, account_id) for row in pipeline.showings]),
        ("rental_application_groups", [_group_record(row, account_id) for row in pipeline.groups]),
        ("calls", [_call_record(row, account_id) for row in pipeline.calls]),
        ("messages", [_message_record(row, account_id) for row in pipeline.messages]),
    ]
    return [Change.insert(table, account_id, record) for table, records in tables for record in records]


def _prospect_values(row: PlannedProspect, account_id: uuid.UUID) -> dict[str, Any]:
    person = row.person
    return {
        "account_id": account_id,
        "unit_id": row.unit.id if row.unit else None,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "phone": person.phone,
        "status": row.status,
        "source": row.source,
        "prospect_type": row.prospect_type,
        "credit_score": row.credit_score,
        "income": row.income,
        "notes": row.notes,
        "created_at": row.created_at,
        # A story moved after the account's existing prospects is never updated before it began.
        "updated_at": max(row.updated_at, row.created_at),
        "account_seq": row.account_seq,
    }


def _event_values(row: PlannedLeasingEvent, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "prospect_id": row.prospect.id,
        "event_type": row.event_type,
        "source": row.source,
        "notes": row.notes,
        "context": row.context,
        "planned_date_time": row.planned_date_time,
        "next_follow_up": row.next_follow_up,
        "created_by": row.created_by,
        "created_at": row.created_at,
        "account_seq": row.account_seq,
    }


def _showing_values(row: PlannedShowing, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "unit_id": row.unit_id,
        "prospect_id": row.prospect.id,
        "planned_date_time": row.planned_date_time,
        "showing_method": row.showing_method,
        "status": row.status,
        "feedback": row.feedback,
        "cancellation_reason": row.cancellation_reason,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _group_values(row: PlannedGroup, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "unit_id": row.unit_id,
        "lead_prospect_id": row.prospect.id,
        "status": row.status,
        "submitted_at": row.submitted_at,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _call_values(row: PlannedCall, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "prospect_id": row.prospect.id if row.prospect else None,
        "direction": row.direction,
        "contact_number": row.contact_number,
        "status": row.status,
        "call_duration": row.call_duration,
        "user_id": row.user_id,
        "created_at": row.created_at,
    }


def _message_values(row: PlannedMessage, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "prospect_id": row.prospect.id if row.prospect else None,
        "direction": row.direction,
        "channel": row.channel,
        "contact": row.contact,
        "body": row.body,
        "user_id": row.user_id,
        "created_at": row.created_at,
    }


# The domains' own GET forms. Their serialisers only read attributes, and a plain namespace of the
# values costs a quarter of a transient ORM row, which dominated the load time.


def prospect_record(row: PlannedProspect, account_id: uuid.UUID) -> Record:
    return prospect_to_wire(_as(Prospect, row.id, _prospect_values(row, account_id)))


def leasing_event_record(row: PlannedLeasingEvent, account_id: uuid.UUID) -> Record:
    return leasing_event_to_wire(_as(LeasingEvent, row.id, _event_values(row, account_id)))


def _showing_record(row: PlannedShowing, account_id: uuid.UUID) -> Record:
    return showing_to_wire(_as(Showing, row.id, _showing_values(row, account_id)))


def _group_record(row: PlannedGroup, account_id: uuid.UUID) -> Record:
    return group_to_wire(_as(RentalApplicationGroup, row.id, _group_values(row, account_id)))


def _call_record(row: PlannedCall, account_id: uuid.UUID) -> Record:
    return call_to_wire(_as(Call, row.id, _call_values(row, account_id)))


def _message_record(row: PlannedMessage, account_id: uuid.UUID) -> Record:
    return message_to_wire(_as(Message, row.id, _message_values(row, account_id)))


Model = TypeVar("Model")


def _as(model: type[Model], row_id: int, values: dict[str, Any]) -> Model:
    """The stored row's attributes, read like an instance of `model`."""
    return cast(Model, SimpleNamespace(id=row_id, **values))
