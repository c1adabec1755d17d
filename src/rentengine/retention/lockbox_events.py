"""Purging lockbox events older than the retention period, oldest first, in short batches.

Two things the API reads survive a purge:

- Where a lockbox is installed is its latest Install or Uninstall event (`lockboxes.repository.
  installed_unit`). An Install that is still its lockbox's latest placement is spared however old
  it is; it goes once a later placement exists. So a purge never uninstalls a lockbox, and spared
  events number at most one per lockbox.
- GET /lockbox_events reads one account's pages by position (`rentengine.db.positions`), which
  needs to know where the gaps are. Each batch raises the account's `purged_through_seq` to the
  highest position it deleted, in the same transaction: every position up to it is gone or spared,
  every position after it is still there (events of an account are deleted in position order,
  because positions follow `(created_at, id)`, the order of this walk).
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Table, and_, bindparam, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from rentengine.lockboxes.models import LockboxEvent, LockboxEventCounter
from rentengine.lockboxes.repository import INSTALL, UNINSTALL
from rentengine.retention.batches import BATCH_ROWS, Batch, Cursor, after

E = LockboxEvent
_COUNTERS: Table = LockboxEventCounter.__table__  # type: ignore[assignment]


async def purge_batch(
    session: AsyncSession, cutoff: datetime, cursor: Cursor | None, limit: int = BATCH_ROWS
) -> Batch:
    """Deletes, of the `limit` oldest events after `cursor` created before `cutoff`, those not
    spared; the caller commits."""
    rows = (
        await session.execute(
            select(E.id, E.account_id, E.account_seq, E.event_type, E.created_at)
            .where(E.created_at < cutoff, after(cursor, E.created_at, E.id))
            .order_by(E.created_at, E.id)
            .limit(limit)
        )
    ).all()
    if not rows:
        return Batch(0, None)
    spared = await _still_installing(session, [row.id for row in rows if row.event_type == INSTALL])
    doomed = [row for row in rows if row.id not in spared]
    if doomed:
        await session.execute(
            delete(E).where(E.id.in_([row.id for row in doomed])).execution_options(synchronize_session=False)
        )
        await _raise_purged_through(session, [(row.account_id, row.account_seq) for row in doomed])
    last = rows[-1]
    return Batch(len(doomed), Cursor(last.created_at, last.id))


async def _still_installing(session: AsyncSession, install_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """The Install events that are still their lockbox's latest placement (no later Install or
    Uninstall; the `(lockbox_id, created_at, id)` index answers each probe)."""
    if not install_ids:
        return set()
    later = aliased(E)
    placed_later = exists().where(
        later.lockbox_id == E.lockbox_id,
        later.event_type.in_((INSTALL, UNINSTALL)),
        or_(later.created_at > E.created_at, and_(later.created_at == E.created_at, later.id > E.id)),
    )
    stmt = select(E.id).where(E.id.in_(install_ids), ~placed_later)
    return set((await session.scalars(stmt)).all())


async def _raise_purged_through(session: AsyncSession, deleted: Iterable[tuple[uuid.UUID, int]]) -> None:
    """Raises each account's `purged_through_seq` to the highest position deleted. Accounts are
    updated in sorted order, the order in which writers claim positions, so none deadlock."""
    highest: dict[uuid.UUID, int] = defaultdict(int)
    for account_id, seq in deleted:
        highest[account_id] = max(highest[account_id], seq)
    stmt = (
        update(_COUNTERS)
        .where(
            _COUNTERS.c.account_id == bindparam("b_account"),
            _COUNTERS.c.purged_through_seq < bindparam("b_seq"),
        )
        .values(purged_through_seq=bindparam("b_seq"))
    )
    params = [{"b_account": account, "b_seq": seq} for account, seq in sorted(highest.items())]
    await (await session.connection()).execute(stmt, params)
