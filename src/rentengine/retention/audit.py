"""Purging audit entries older than the retention period, oldest first, in short batches.

The comparables (GET /market-tool/comps) read a Leased unit's lease day and days on market from its
status changes in the audit log (`comps.service.leased_market`). Of each existing unit's status
changes, the purge spares the few that reading needs, now or once the unit is leased again: its
first status change, its latest change to Leased, its latest change to Available before that, and
its latest change to Available. At most four entries per unit outlive the period; a deleted unit's
go with the rest.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.audit.models import AuditEntry
from rentengine.comps.repository import AVAILABLE, LEASED
from rentengine.retention.batches import BATCH_ROWS, Batch, Cursor, after
from rentengine.units.models import Unit

A = AuditEntry
UNITS = "units"
UPDATE = "UPDATE"
# Status changes of this many units are read per statement.
UNITS_PER_READ = 500


async def purge_batch(
    session: AsyncSession, cutoff: datetime, cursor: Cursor | None, limit: int = BATCH_ROWS
) -> Batch:
    """Deletes, of the `limit` oldest entries after `cursor` created before `cutoff`, those not
    spared; the caller commits."""
    rows = (
        await session.execute(
            select(A.id, A.account_id, A.table, A.record_id, A.action, A.changes, A.created_at)
            .where(A.created_at < cutoff, after(cursor, A.created_at, A.id))
            .order_by(A.created_at, A.id)
            .limit(limit)
        )
    ).all()
    if not rows:
        return Batch(0, None)
    spared = await _read_by_comps(
        session, {(row.account_id, row.record_id) for row in rows if _is_status_change(row)}
    )
    doomed = [row.id for row in rows if row.id not in spared]
    if doomed:
        await session.execute(delete(A).where(A.id.in_(doomed)).execution_options(synchronize_session=False))
    last = rows[-1]
    return Batch(len(doomed), Cursor(last.created_at, last.id))


def _is_status_change(row: Row[Any]) -> bool:
    return row.table == UNITS and row.action == UPDATE and "status" in (row.changes or {})


async def _read_by_comps(session: AsyncSession, units: set[tuple[uuid.UUID, str]]) -> set[int]:
    """The ids of the entries the comparables read, of the given `(account_id, unit id)` pairs."""
    by_account: dict[uuid.UUID, list[str]] = defaultdict(list)
    for account_id, record_id in sorted(units):
        by_account[account_id].append(record_id)
    spared: set[int] = set()
    for account_id, record_ids in by_account.items():
        for start in range(0, len(record_ids), UNITS_PER_READ):
            history = await _status_histories(session, account_id, record_ids[start : start + UNITS_PER_READ])
            for changes in history.values():
                spared |= still_read(changes)
    return spared


async def _status_histories(
    session: AsyncSession, account_id: uuid.UUID, record_ids: Sequence[str]
) -> dict[str, list[tuple[int, str | None]]]:
    """Per existing unit, its status changes oldest first: `(entry id, new status)`."""
    existing = {
        str(unit_id)
        for unit_id in await session.scalars(
            select(Unit.id).where(
                Unit.account_id == account_id, Unit.id.in_([int(r) for r in record_ids if r.isdigit()])
            )
        )
    }
    stmt = (
        select(A.id, A.record_id, A.changes)
        .where(A.account_id == account_id, A.table == UNITS, A.record_id.in_(existing), A.action == UPDATE)
        .order_by(A.id)  # the comparables' order
    )
    history: dict[str, list[tuple[int, str | None]]] = defaultdict(list)
    for entry_id, record_id, changes in await session.execute(stmt):
        status = (changes or {}).get("status")
        if status is not None:
            history[record_id].append((entry_id, status[1]))
    return history


def still_read(changes: Iterable[tuple[int, str | None]]) -> set[int]:
    """Of one unit's status changes (oldest first), the ids `leased_market` reads: the first, the
    latest to Leased, the latest to Available before it, and the latest to Available."""
    ordered = list(changes)
    if not ordered:
        return set()
    kept = {ordered[0][0]}
    to_leased = [i for i, (_, new) in enumerate(ordered) if new == LEASED]
    if to_leased:
        kept.add(ordered[to_leased[-1]][0])
        kept |= _latest_available(ordered[: to_leased[-1]])
    kept |= _latest_available(ordered)
    return kept


def _latest_available(changes: Sequence[tuple[int, str | None]]) -> set[int]:
    listed = [entry_id for entry_id, new in changes if new == AVAILABLE]
    return {listed[-1]} if listed else set()
