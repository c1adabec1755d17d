"""Loading the demo pipeline into an account, and reading back everything it wrote there."""

import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.applications.models import RentalApplicationGroup
from rentengine.audit.models import AuditEntry
from rentengine.communications.models import Call, Message
from rentengine.demo import load_demo_data
from rentengine.demo.loader import DemoSizes
from rentengine.leasing.models import LeasingEvent
from rentengine.prospects.models import Prospect
from rentengine.runtime import Runtime
from rentengine.showings.models import Showing
from rentengine.units.models import Unit

Row = TypeVar("Row")
TABLES: dict[str, Any] = {
    "prospects": Prospect,
    "leasing_events": LeasingEvent,
    "showings": Showing,
    "rental_application_groups": RentalApplicationGroup,
    "calls": Call,
    "messages": Message,
}


async def load_pipeline(runtime: Runtime, account_id: uuid.UUID, *, units: int, prospects: int) -> None:
    sizes = DemoSizes(units=units, properties=0, lockbox_events=0, prospects=prospects)
    await load_demo_data(runtime.settings, sizes, account_id, show_progress=False)


@dataclass
class Pipeline:
    """An account's units and pipeline rows, each list in id order."""

    unit_ids: list[int]
    prospects: list[Prospect]
    events: list[LeasingEvent]
    showings: list[Showing]
    groups: list[RentalApplicationGroup]
    calls: list[Call]
    messages: list[Message]

    def prospect(self, prospect_id: int | None) -> Prospect:
        [found] = [p for p in self.prospects if p.id == prospect_id]
        return found

    def events_of(self, prospect: Prospect) -> list[LeasingEvent]:
        return [event for event in self.events if event.prospect_id == prospect.id]

    def showings_of(self, prospect: Prospect) -> list[Showing]:
        return [showing for showing in self.showings if showing.prospect_id == prospect.id]


async def read_pipeline(runtime: Runtime, account_id: uuid.UUID) -> Pipeline:
    """Every row of the account; children are read through their prospect, whatever account they name."""
    async with runtime.db.transaction(writes=False) as session:
        in_account = Prospect.account_id == account_id
        units = await session.scalars(select(Unit.id).where(Unit.account_id == account_id).order_by(Unit.id))
        return Pipeline(
            unit_ids=list(units),
            prospects=await _all(session, select(Prospect).where(in_account).order_by(Prospect.id)),
            events=await _all(
                session, select(LeasingEvent).join(Prospect).where(in_account).order_by(LeasingEvent.id)
            ),
            showings=await _all(
                session,
                select(Showing)
                .join(Prospect, Showing.prospect_id == Prospect.id)
                .where(in_account)
                .order_by(Showing.id),
            ),
            groups=await _all(
                session,
                select(RentalApplicationGroup)
                .where(RentalApplicationGroup.account_id == account_id)
                .order_by(RentalApplicationGroup.id),
            ),
            calls=await _all(session, select(Call).where(Call.account_id == account_id).order_by(Call.id)),
            messages=await _all(
                session, select(Message).where(Message.account_id == account_id).order_by(Message.id)
            ),
        )


async def _all(session: AsyncSession, statement: Any) -> list[Any]:
    return list((await session.scalars(statement)).all())


async def audit_counts(runtime: Runtime, account_id: uuid.UUID) -> dict[str, int]:
    """INSERT audit entries of the account, per pipeline table."""
    async with runtime.db.transaction(writes=False) as session:
        rows = await session.execute(
            select(AuditEntry.table, func.count())
            .where(AuditEntry.account_id == account_id, AuditEntry.action == "INSERT")
            .where(AuditEntry.table.in_(TABLES))
            .group_by(AuditEntry.table)
        )
        return {str(row[0]): int(row[1]) for row in rows}


async def highest_ids(runtime: Runtime) -> dict[str, int]:
    """The highest id of each pipeline table, over every account."""
    async with runtime.db.transaction(writes=False) as session:
        return {
            table: int(await session.scalar(select(func.coalesce(func.max(model.id), 0))) or 0)
            for table, model in TABLES.items()
        }
