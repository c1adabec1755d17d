"""Dense per-account positions of lockbox events, and creation times that agree with them.

Each account numbers its events 1, 2, 3, … with no gaps, so that a deep page of one account's
events is an index range (`account_seq > offset`) rather than `offset` rows skipped. For that to
give the same page as `ORDER BY created_at, id`, positions must be dense in every snapshot a reader
can see and must follow creation order. Both hold because every insert of events first claims its
positions on the account's counter row, in the inserting transaction:

- the claim is one upsert, which locks the row until commit (PostgreSQL; SQLite writers are
  serialised anyway), so a second writer of the account waits, then numbers after the first, and
  commits after it: readers see positions 1..N, never a gap;
- creation times are chosen under that lock, each strictly after the account's latest event, so a
  clock that steps back or a writer that read the clock earlier cannot land before an earlier
  position. A rolled-back insert rolls its claim back with it.
"""

import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.kit.clock import utc_now
from rentengine.lockboxes.models import LockboxEventCounter

ONE_MICROSECOND = timedelta(microseconds=1)
# A new account's counter starts before any possible event, so its first event keeps the time it wants.
BEFORE_ANY_EVENT = datetime(1970, 1, 1, tzinfo=UTC)
_UPSERTS: Mapping[str, Callable[..., Any]] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a new event goes: its position in its account and its creation time."""

    account_seq: int
    created_at: datetime


@dataclass(slots=True)
class _Claim:
    """An account's claimed positions, handed out in row order."""

    next_seq: int
    latest: datetime


async def claim_slots(
    session: AsyncSession, accounts: Sequence[uuid.UUID], wanted: Sequence[datetime] | None = None
) -> list[Slot]:
    """Slots for new events, one per row, in row order; row i belongs to `accounts[i]`.

    Row i is created at `wanted[i]` unless that is not after the previous row of the batch or the
    account's latest event; then it is created one microsecond after the later of those. Without
    `wanted`, rows want the time read once the counters are locked, one microsecond apart, so that
    a batch lists in its own order and "the latest event wins" (installed units) follows it.
    The caller must insert the events in the same transaction.
    """
    claims = {
        account: await _claim(session, account, count) for account, count in sorted(Counter(accounts).items())
    }
    stamps = wanted if wanted is not None else _now_apart(len(accounts))
    slots: list[Slot] = []
    previous = BEFORE_ANY_EVENT
    for account, stamp in zip(accounts, stamps, strict=True):
        claim = claims[account]
        created_at = max(stamp, previous + ONE_MICROSECOND, claim.latest + ONE_MICROSECOND)
        slots.append(Slot(claim.next_seq, created_at))
        claim.next_seq, claim.latest, previous = claim.next_seq + 1, created_at, created_at
    for account, claim in claims.items():
        await _store_latest(session, account, claim.latest)
    return slots


def _now_apart(count: int) -> list[datetime]:
    now = utc_now()
    return [now + i * ONE_MICROSECOND for i in range(count)]


async def _claim(session: AsyncSession, account_id: uuid.UUID, count: int) -> _Claim:
    """Takes `count` positions of the account, holding its counter row until commit.

    Accounts are claimed in a fixed order (sorted ids), so two batches that span the same accounts
    wait for each other instead of deadlocking. The new latest time is written by `_store_latest`
    under the same lock: computing it here would need timestamp arithmetic SQLite does not have.
    """
    upsert = _UPSERTS[session.get_bind().dialect.name](LockboxEventCounter)
    stmt = (
        upsert.values(account_id=account_id, last_seq=count, last_created_at=BEFORE_ANY_EVENT)
        .on_conflict_do_update(
            index_elements=[LockboxEventCounter.account_id],
            set_={"last_seq": LockboxEventCounter.last_seq + count},
        )
        .returning(LockboxEventCounter.last_seq, LockboxEventCounter.last_created_at)
    )
    row = (await session.execute(stmt)).one()
    return _Claim(next_seq=row.last_seq - count + 1, latest=row.last_created_at)


async def _store_latest(session: AsyncSession, account_id: uuid.UUID, latest: datetime) -> None:
    await session.execute(
        update(LockboxEventCounter)
        .where(LockboxEventCounter.account_id == account_id)
        .values(last_created_at=latest)
    )
