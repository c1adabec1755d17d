"""Dense per-account positions of a list's rows, and creation times that agree with them.

Each account numbers its rows of a list 1, 2, 3, … with no gaps, so that a deep page of one
account's rows is an index range (`account_seq > offset`) rather than `offset` rows skipped. For
that to give the same page as the list's order (`created_at, id`, or `id`), positions must be dense
in every snapshot a reader can see and must follow that order. Both hold because every insert first
claims its positions on the account's counter row, in the inserting transaction:

- the claim is one upsert, which locks the row until commit (PostgreSQL; SQLite writers are
  serialised anyway), so a second writer of the account waits, then numbers after the first, and
  commits after it: readers see positions 1..N, never a gap; and the rows' ids, drawn after the
  claim, follow the positions too;
- creation times are chosen under that lock, each strictly after the account's latest row, so a
  clock that steps back or a writer that read the clock earlier cannot land before an earlier
  position. A rolled-back insert rolls its claim back with it.

Each list has its own counter table (`CounterColumns`): the rows of different lists never wait for
each other.
"""

import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Uuid, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from rentengine.kit.clock import utc_now

ONE_MICROSECOND = timedelta(microseconds=1)
# A new account's counter starts before any possible row, so its first row keeps the time it wants.
BEFORE_ANY_ROW = datetime(1970, 1, 1, tzinfo=UTC)
_UPSERTS: Mapping[str, Callable[..., Any]] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class CounterColumns:
    """The columns of a list's counter table: per account, its latest row's position and time.
    Writers of an account's rows take turns on this row."""

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_created_at: Mapped[datetime]


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a new row goes: its position in its account and its creation time."""

    account_seq: int
    created_at: datetime


@dataclass(slots=True)
class _Claim:
    """An account's claimed positions, handed out in row order."""

    next_seq: int
    latest: datetime


async def claim_slots(
    session: AsyncSession,
    counter: type[CounterColumns],
    accounts: Sequence[uuid.UUID],
    wanted: Sequence[datetime] | None = None,
) -> list[Slot]:
    """Slots for new rows of the list `counter` numbers, one per row, in row order; row i belongs
    to `accounts[i]`.

    Row i is created at `wanted[i]` unless that is not after the previous row of the batch or the
    account's latest row; then it is created one microsecond after the later of those. Without
    `wanted`, rows want the time read once the counters are locked, one microsecond apart, so that
    a batch lists in its own order. The caller must insert the rows in the same transaction.
    """
    claims = {
        account: await _claim(session, counter, account, count)
        for account, count in sorted(Counter(accounts).items())
    }
    stamps = wanted if wanted is not None else _now_apart(len(accounts))
    slots: list[Slot] = []
    previous = BEFORE_ANY_ROW
    for account, stamp in zip(accounts, stamps, strict=True):
        claim = claims[account]
        created_at = max(stamp, previous + ONE_MICROSECOND, claim.latest + ONE_MICROSECOND)
        slots.append(Slot(claim.next_seq, created_at))
        claim.next_seq, claim.latest, previous = claim.next_seq + 1, created_at, created_at
    for account, claim in claims.items():
        await _store_latest(session, counter, account, claim.latest)
    return slots


async def claim_slot(
    session: AsyncSession,
    counter: type[CounterColumns],
    account_id: uuid.UUID,
    wanted: datetime | None = None,
) -> Slot:
    """The slot of one new row (see `claim_slots`)."""
    [slot] = await claim_slots(session, counter, [account_id], None if wanted is None else [wanted])
    return slot


def _now_apart(count: int) -> list[datetime]:
    now = utc_now()
    return [now + i * ONE_MICROSECOND for i in range(count)]


async def _claim(
    session: AsyncSession, counter: type[CounterColumns], account_id: uuid.UUID, count: int
) -> _Claim:
    """Takes `count` positions of the account, holding its counter row until commit.

    Accounts are claimed in a fixed order (sorted ids), so two batches that span the same accounts
    wait for each other instead of deadlocking. The new latest time is written by `_store_latest`
    under the same lock: computing it here would need timestamp arithmetic SQLite does not have.
    """
    upsert = _UPSERTS[session.get_bind().dialect.name](counter)
    stmt = (
        upsert.values(account_id=account_id, last_seq=count, last_created_at=BEFORE_ANY_ROW)
        .on_conflict_do_update(
            index_elements=[counter.account_id],
            set_={"last_seq": counter.last_seq + count},
        )
        .returning(counter.last_seq, counter.last_created_at)
    )
    row = (await session.execute(stmt)).one()
    return _Claim(next_seq=row.last_seq - count + 1, latest=row.last_created_at)


async def _store_latest(
    session: AsyncSession, counter: type[CounterColumns], account_id: uuid.UUID, latest: datetime
) -> None:
    await session.execute(
        update(counter).where(counter.account_id == account_id).values(last_created_at=latest)
    )
