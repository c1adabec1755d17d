"""Bulk demo data: units, multifamily properties, lockboxes, lockbox events and a leasing pipeline
(prospects with their leasing events, showings, calls, messages and application groups) in one account.

Rows are built with each domain's own rules and serialisers and written in chunks, each chunk one
transaction that also records its changes through the change seam (audit entries, and the webhook
outbox when it exists), so demo data are indistinguishable from data written through the API.
"""

import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth.service import Principal
from rentengine.changes.seam import record_changes
from rentengine.changes.types import Actor, Change
from rentengine.db.session import Database
from rentengine.demo.data import DemoRandom
from rentengine.demo.pipeline import insert_pipeline, member_ids, showing_hours, story_units
from rentengine.demo.stories import PipelinePlanner
from rentengine.kit.clock import utc_now
from rentengine.kit.ids import new_uuid
from rentengine.lockboxes.codes import new_code_secret
from rentengine.lockboxes.models import Lockbox, LockboxEvent
from rentengine.lockboxes.positions import claim_slots
from rentengine.lockboxes.service import lockbox_event_to_wire, lockbox_to_wire
from rentengine.properties.schemas import PropertyUpsert
from rentengine.properties.service import upsert_property
from rentengine.settings import Settings
from rentengine.units.models import Address, Unit
from rentengine.units.schemas import UnitUpsert
from rentengine.units.service import AVAILABLE, apply_body, unit_to_wire
from rentengine.units.wire import store_wire

# The table itself: its column names ("metadata") differ from the ORM attribute names.
LOCKBOX_EVENTS: Table = LockboxEvent.__table__  # type: ignore[assignment]
UNIT_CHUNK = 2_000
EVENT_CHUNK = 10_000
EVENTS_PER_LOCKBOX = 40
# About 12 rows per prospect (events, messages, calls …): some 12,000 rows per transaction.
PROSPECT_CHUNK = 1_000
Progress = Callable[[int], None]


@dataclass(frozen=True)
class DemoSizes:
    units: int = 25
    properties: int = 3
    lockbox_events: int = 200
    # No pipeline unless asked: a caller sizing only units and events gets only those.
    prospects: int = 0


def _chunks(total: int, size: int) -> Iterator[int]:
    done = 0
    while done < total:
        step = min(size, total - done)
        yield step
        done += step


class DemoLoader:
    def __init__(
        self, db: Database, settings: Settings, account_id: uuid.UUID, actor: Actor, seed: int = 2024
    ) -> None:
        self.db = db
        self.settings = settings
        self.account_id = account_id
        self.actor = actor
        self.random = DemoRandom.seeded(seed)

    async def load(self, sizes: DemoSizes, progress: Callable[[str, int], Progress]) -> None:
        await self.load_properties(sizes.properties, progress("properties", sizes.properties))
        await self.load_units(sizes.units, progress("units", sizes.units))
        await self.load_lockbox_events(sizes.lockbox_events, progress("lockbox events", sizes.lockbox_events))
        await self.load_prospects(sizes.prospects, progress("prospects", sizes.prospects))

    async def load_properties(self, count: int, advance: Progress) -> None:
        # The service checks access against `account_ids` only; the audit trail comes from `actor`, whose
        # user is None for `demo-data` (an operator's CLI write), so the nil UUID here is never recorded.
        principal = Principal(
            user_id=self.actor.user_id or uuid.UUID(int=0),
            api_key_id=None,
            account_ids=frozenset({self.account_id}),
        )
        async with self.db.transaction() as session:
            for _ in range(count):
                body = PropertyUpsert.model_validate(self.random.multifamily_property(str(self.account_id)))
                await upsert_property(
                    session, principal, self.actor, body, self.settings.paid_feed_thresholds
                )
                advance(1)

    async def load_units(self, count: int, advance: Progress) -> None:
        for size in _chunks(count, UNIT_CHUNK):
            async with self.db.transaction() as session:
                await self._unit_chunk(session, size)
            advance(size)

    async def _unit_chunk(self, session: AsyncSession, size: int) -> None:
        now = utc_now()
        pairs: list[tuple[Unit, Address]] = []
        for _ in range(size):
            body = UnitUpsert.model_validate(self.random.unit(str(self.account_id)))
            unit = Unit(
                account_id=self.account_id, status="Incomplete", attributes={}, created_at=now, updated_at=now
            )
            address = Address()
            apply_body(unit, address, body, now)
            unit.created_at, unit.rate_changed_at, unit.available_since = self.random.market_history(
                now, unit.status == AVAILABLE
            )
            pairs.append((unit, address))
        session.add_all([address for _, address in pairs])
        await session.flush()
        for unit, address in pairs:
            unit.address_id = address.id
        session.add_all([unit for unit, _ in pairs])
        await session.flush()
        base = self.settings.public_base_url
        records = [unit_to_wire(unit, address, base) for unit, address in pairs]
        for (unit, _address), record in zip(pairs, records, strict=True):
            store_wire(unit, record, base)
        await record_changes(
            session, self.actor, [Change.insert("units", self.account_id, r) for r in records]
        )

    async def load_lockbox_events(self, count: int, advance: Progress) -> None:
        if count <= 0:
            return
        unit_ids = await self._unit_ids()
        lockboxes = await self._make_lockboxes(max(1, count // EVENTS_PER_LOCKBOX))
        events = _EventPlan(self.random.rng, lockboxes, unit_ids, count)
        for size in _chunks(count, EVENT_CHUNK):
            async with self.db.transaction() as session:
                await self._event_chunk(session, [events.next_event(self.random) for _ in range(size)])
            advance(size)

    async def _event_chunk(self, session: AsyncSession, planned: Sequence["PlannedEvent"]) -> None:
        # The plan spreads the events over the past year; the account's counter decides the stored
        # times (never before the account's existing events) and the positions.
        slots = await claim_slots(
            session, [row.account_id for row in planned], [row.created_at for row in planned]
        )
        rows = [replace(row, created_at=slot.created_at) for row, slot in zip(planned, slots, strict=True)]
        values = [_event_values(row, slot.account_seq) for row, slot in zip(rows, slots, strict=True)]
        await session.execute(insert(LOCKBOX_EVENTS), values)
        changes = [
            Change.insert("lockbox_events", self.account_id, lockbox_event_to_wire(row)) for row in rows
        ]
        await record_changes(session, self.actor, changes)

    async def load_prospects(self, count: int, advance: Progress) -> None:
        """`count` prospects on the account's units, each with the rows its leasing story needs."""
        if count <= 0:
            return
        async with self.db.transaction(writes=False) as session:
            units = await story_units(session, self.account_id)
            members = await member_ids(session, self.account_id)
            hours = await showing_hours(session, self.account_id)
        planner = PipelinePlanner(self.random.rng, units, members, hours, count, utc_now())
        for size in _chunks(count, PROSPECT_CHUNK):
            pipeline = planner.plan(size)
            async with self.db.transaction() as session:
                await insert_pipeline(session, self.actor, self.account_id, pipeline)
            advance(size)

    async def _unit_ids(self) -> list[int]:
        async with self.db.transaction(writes=False) as session:
            rows = await session.scalars(select(Unit.id).where(Unit.account_id == self.account_id))
            return list(rows)

    async def _make_lockboxes(self, count: int) -> list[Lockbox]:
        now = utc_now()
        boxes = [
            Lockbox(
                id=new_uuid(),
                account_id=self.account_id,
                lockbox_type="Sentrilock",
                serial_number=serial,
                code_secret=new_code_secret(),
                created_at=now,
                updated_at=now,
            )
            for serial in self.random.serial_numbers(count)
        ]
        async with self.db.transaction() as session:
            session.add_all(boxes)
            await session.flush()
            changes = [Change.insert("lockboxes", self.account_id, lockbox_to_wire(box)) for box in boxes]
            await record_changes(session, self.actor, changes)
        return boxes


class _EventPlan:
    """Install → codes → Uninstall cycles per lockbox, spread over the past year in time order."""

    def __init__(
        self, rng: random.Random, lockboxes: Sequence[Lockbox], unit_ids: Sequence[int], total: int
    ) -> None:
        self.rng = rng
        self.lockboxes = lockboxes
        self.unit_ids = unit_ids
        self.installed: dict[uuid.UUID, int | None] = {}
        self.clock = utc_now() - timedelta(days=365)
        self.step = timedelta(days=365) / max(1, total)

    def next_event(self, demo: DemoRandom) -> "PlannedEvent":
        box = self.rng.choice(self.lockboxes)
        placed = self.installed.get(box.id)
        self.clock += self.step
        unit_id: int | None
        if placed is None and self.unit_ids:
            kind, unit_id = "Install", self.rng.choice(self.unit_ids)
            self.installed[box.id] = unit_id
        elif placed is not None and self.rng.random() < 0.15:
            kind, unit_id = "Uninstall", placed
            self.installed[box.id] = None
        else:
            kind, unit_id = "Generate Code", placed
        metadata = (
            _code_metadata(self.clock, demo) if kind == "Generate Code" else demo.lockbox_event_metadata(kind)
        )
        return PlannedEvent(
            id=new_uuid(),
            lockbox_id=box.id,
            account_id=box.account_id,
            event_type=kind,
            unit_id=unit_id,
            event_metadata=metadata,
            created_at=self.clock,
        )


def _code_metadata(when: datetime, demo: DemoRandom) -> dict[str, Any]:
    return {
        "date": when.date().isoformat(),
        "code_type": "ACCESS",
        "created_for": demo.rng.choice(("Showing agent", "Maintenance", "Cleaning crew", None)),
    }


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    """A lockbox event before insertion; plain attributes, since ORM instances cost ~15x more to build."""

    id: uuid.UUID
    lockbox_id: uuid.UUID
    account_id: uuid.UUID
    event_type: str
    unit_id: int | None
    event_metadata: dict[str, Any] | None
    created_at: datetime


def _event_values(row: PlannedEvent, account_seq: int) -> dict[str, Any]:
    return {
        "account_seq": account_seq,
        "id": row.id,
        "lockbox_id": row.lockbox_id,
        "account_id": row.account_id,
        "event_type": row.event_type,
        "unit_id": row.unit_id,
        "metadata": row.event_metadata,
        "created_at": row.created_at,
    }
