"""Lockbox rules: creation, account transfers, offline codes and install/uninstall events."""

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth.access import require_account
from rentengine.auth.service import Principal
from rentengine.changes.seam import record_change, record_changes
from rentengine.changes.types import Actor, Change, Record
from rentengine.errors import BadRequest, Conflict, Detail, NotFound, detail
from rentengine.kit.clock import isoformat_z, utc_now
from rentengine.kit.ids import new_uuid
from rentengine.lockboxes import codes, positions, repository
from rentengine.lockboxes.models import Lockbox, LockboxEvent
from rentengine.lockboxes.schemas import GenerateCode, LockboxCreate, LockboxEventBatch, LockboxTransfer
from rentengine.validation import rule_error

LOCKBOXES = "lockboxes"
LOCKBOX_EVENTS = "lockbox_events"
GENERATE_CODE = "Generate Code"
SERIAL_TAKEN = "Lockbox serial number already exists in the account"
IDENTIFIERS = ("lockbox_id", "serial_number", "unit_id")


def lockbox_to_wire(row: Lockbox) -> Record:
    """The GET representation; the code secret is deliberately absent."""
    return {
        "id": str(row.id),
        "lockbox_type": row.lockbox_type,
        "serial_number": row.serial_number,
        "account_id": str(row.account_id),
        "created_at": isoformat_z(row.created_at),
        "updated_at": isoformat_z(row.updated_at),
    }


class EventFields(Protocol):
    """What the wire form of an event reads: a `LockboxEvent` row or a bulk-built stand-in."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def lockbox_id(self) -> uuid.UUID: ...
    @property
    def account_id(self) -> uuid.UUID: ...
    @property
    def event_type(self) -> str: ...
    @property
    def unit_id(self) -> int | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def event_metadata(self) -> dict[str, Any] | None: ...


def lockbox_event_to_wire(row: EventFields) -> Record:
    return {
        "id": str(row.id),
        "lockbox_id": str(row.lockbox_id),
        "event_type": row.event_type,
        "unit_id": str(row.unit_id) if row.unit_id is not None else None,
        "account_id": str(row.account_id),
        "created_at": isoformat_z(row.created_at),
        "metadata": row.event_metadata,
    }


def _stamps(count: int) -> list[datetime]:
    """Creation times one microsecond apart: rows created by one request then list in request
    order. Events take theirs from `positions.claim_slots`, by the same rule."""
    now = utc_now()
    return [now + timedelta(microseconds=i) for i in range(count)]


def _taken(path: str, serial: str, account_id: uuid.UUID) -> Detail:
    return detail(
        "unique",
        path,
        "must be a serial number that does not exist in the account yet",
        {"serial_number": serial, "account_id": str(account_id)},
    )


async def _flush_or_conflict(session: AsyncSession, path: str, account_id: uuid.UUID) -> None:
    """A concurrent request can take a serial between our check and our write; the unique
    constraint catches that, and the caller gets the same 409 as from the check."""
    try:
        await session.flush()
    except IntegrityError as exc:
        race = detail(
            "unique",
            path,
            "must hold serial numbers that do not exist in the account yet",
            {"account_id": str(account_id)},
        )
        raise Conflict(SERIAL_TAKEN, [race]) from exc


async def create_lockboxes(
    session: AsyncSession, principal: Principal, actor: Actor, body: LockboxCreate
) -> list[Record]:
    require_account(principal, body.account_id)
    taken = await repository.taken_serials(session, body.account_id, body.serial_numbers)
    clashes = [
        _taken(f"/serial_numbers/{i}", serial, body.account_id)
        for i, serial in enumerate(body.serial_numbers)
        if serial in taken
    ]
    if clashes:
        raise Conflict(SERIAL_TAKEN, clashes)
    stamps = _stamps(len(body.serial_numbers))
    rows = [
        Lockbox(
            id=new_uuid(),
            account_id=body.account_id,
            lockbox_type=body.lockbox_type,
            serial_number=serial,
            code_secret=codes.new_code_secret(),
            created_at=stamp,
            updated_at=stamp,
        )
        for serial, stamp in zip(body.serial_numbers, stamps, strict=True)
    ]
    session.add_all(rows)
    await _flush_or_conflict(session, "/serial_numbers", body.account_id)
    records = [lockbox_to_wire(row) for row in rows]
    await record_changes(session, actor, [Change.insert(LOCKBOXES, body.account_id, r) for r in records])
    return records


def _transfer_clashes(
    body: LockboxTransfer, moving: Sequence[Lockbox], taken: Mapping[str, uuid.UUID]
) -> list[Detail]:
    """Moving boxes whose serial exists in the target, or that share a serial with another mover."""
    counts = Counter(box.serial_number for box in moving)
    index: dict[uuid.UUID, int] = {}
    for i, box_id in enumerate(body.lockbox_ids):
        index.setdefault(box_id, i)
    return [
        _taken(f"/lockbox_ids/{index[box.id]}", box.serial_number, body.new_account_id)
        for box in moving
        if box.serial_number in taken or counts[box.serial_number] > 1
    ]


async def transfer_lockboxes(
    session: AsyncSession, principal: Principal, actor: Actor, body: LockboxTransfer
) -> list[Record]:
    target = body.new_account_id
    require_account(principal, target)
    ids = list(dict.fromkeys(body.lockbox_ids))
    boxes = await repository.visible_lockboxes(session, ids, principal.account_ids)
    if len(boxes) != len(ids):
        raise NotFound()
    moving = [boxes[box_id] for box_id in ids if boxes[box_id].account_id != target]
    taken = await repository.taken_serials(session, target, {box.serial_number for box in moving})
    clashes = _transfer_clashes(body, moving, taken)
    if clashes:
        raise Conflict(SERIAL_TAKEN, clashes)
    now = utc_now()
    changes: list[Change] = []
    for box in moving:
        old = lockbox_to_wire(box)
        box.account_id, box.updated_at = target, now
        changes.append(Change.update(LOCKBOXES, target, lockbox_to_wire(box), old))
    await _flush_or_conflict(session, "/lockbox_ids", target)
    await record_changes(session, actor, changes)
    return [lockbox_to_wire(boxes[box_id]) for box_id in ids]


def check_code_request(body: GenerateCode) -> None:
    """Exactly one way to name the lockbox (a 400 without the database; the mock applies it too)."""
    sent = [i for i, name in enumerate(IDENTIFIERS) if getattr(body, name) is not None]
    if len(sent) != 1:
        raise rule_error(
            "",
            "oneOf",
            "must have exactly one of lockbox_id, serial_number and unit_id",
            {"passingSchemas": sent or None},
        )


async def _lockbox_for_code(
    session: AsyncSession, principal: Principal, body: GenerateCode
) -> tuple[Lockbox, int | None]:
    """The lockbox the request names, and the unit it is installed on (or None)."""
    if body.unit_id is not None:
        if not await repository.unit_accounts(session, [body.unit_id], principal.account_ids):
            raise NotFound()
        box = await repository.lockbox_installed_on(session, body.unit_id, principal.account_ids)
        if box is None:
            raise NotFound()
        return box, body.unit_id
    if body.lockbox_id is not None:
        found = await repository.visible_lockboxes(session, [body.lockbox_id], principal.account_ids)
        box = found.get(body.lockbox_id)
    else:
        assert body.serial_number is not None
        matches = await repository.lockboxes_by_serial(session, body.serial_number, principal.account_ids)
        if len(matches) > 1:
            raise rule_error(
                "/serial_number",
                "unique",
                "matches lockboxes in several of your accounts; send lockbox_id instead",
                {"matches": len(matches)},
            )
        box = matches[0] if matches else None
    if box is None:
        raise NotFound()
    return box, await repository.installed_unit(session, box.id)


async def generate_code(
    session: AsyncSession,
    principal: Principal,
    actor: Actor,
    body: GenerateCode,
    digits: Mapping[str, int],
) -> dict[str, Any]:
    """Computes the day's code and records a `Generate Code` event, which never holds the code."""
    check_code_request(body)
    box, unit_id = await _lockbox_for_code(session, principal, body)
    if body.code_type == "SHACKLE" and box.lockbox_type == "Codebox":
        raise rule_error(
            "/code_type", "enum", "must be ACCESS for a Codebox lockbox", {"allowedValues": ["ACCESS"]}
        )
    [slot] = await positions.claim_slots(session, [box.account_id])
    event = LockboxEvent(
        id=new_uuid(),
        lockbox_id=box.id,
        account_id=box.account_id,
        event_type=GENERATE_CODE,
        unit_id=unit_id,
        event_metadata={
            "date": body.date.isoformat(),
            "code_type": body.code_type,
            "created_for": body.created_for,
        },
        created_at=slot.created_at,
        account_seq=slot.account_seq,
    )
    session.add(event)
    await session.flush()
    await record_change(
        session, actor, Change.insert(LOCKBOX_EVENTS, box.account_id, lockbox_event_to_wire(event))
    )
    code = codes.derive_code(
        box.code_secret, body.date, body.code_type, codes.code_digits(digits, box.lockbox_type)
    )
    return {
        "code": code,
        "lockboxType": box.lockbox_type,
        "instructions": codes.instructions(box.lockbox_type, body.code_type, body.date),
    }


async def _check_event_targets(
    session: AsyncSession, principal: Principal, body: LockboxEventBatch
) -> dict[uuid.UUID, Lockbox]:
    """404 for any invisible lockbox or unit; 400 for a unit outside its lockbox's account."""
    lockbox_ids = {item.lockbox_id for item in body.events}
    boxes = await repository.visible_lockboxes(session, lockbox_ids, principal.account_ids)
    unit_ids = {item.unit_id for item in body.events}
    units = await repository.unit_accounts(session, unit_ids, principal.account_ids)
    if len(boxes) != len(lockbox_ids) or len(units) != len(unit_ids):
        raise NotFound()
    mismatched = [
        detail(
            "sameAccount",
            f"/events/{i}/unit_id",
            "must be a unit in the lockbox's account",
            {"account_id": str(boxes[item.lockbox_id].account_id)},
        )
        for i, item in enumerate(body.events)
        if units[item.unit_id] != boxes[item.lockbox_id].account_id
    ]
    if mismatched:
        raise BadRequest(mismatched)
    return boxes


async def create_events(
    session: AsyncSession, principal: Principal, actor: Actor, body: LockboxEventBatch
) -> list[Record]:
    boxes = await _check_event_targets(session, principal, body)
    accounts = [boxes[item.lockbox_id].account_id for item in body.events]
    slots = await positions.claim_slots(session, accounts)
    rows = [
        LockboxEvent(
            id=new_uuid(),
            lockbox_id=item.lockbox_id,
            account_id=account_id,
            event_type=item.event_type,
            unit_id=item.unit_id,
            event_metadata=item.metadata,
            created_at=slot.created_at,
            account_seq=slot.account_seq,
        )
        for item, account_id, slot in zip(body.events, accounts, slots, strict=True)
    ]
    session.add_all(rows)
    await session.flush()
    records = [lockbox_event_to_wire(row) for row in rows]
    changes = [Change.insert(LOCKBOX_EVENTS, row.account_id, r) for row, r in zip(rows, records, strict=True)]
    await record_changes(session, actor, changes)
    return records
