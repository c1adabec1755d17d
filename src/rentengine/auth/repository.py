"""SQL for accounts, users, memberships and API keys."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth.models import Account, ApiKey, Membership, User


async def account_ids_of(session: AsyncSession, user_id: uuid.UUID) -> frozenset[uuid.UUID]:
    rows = await session.scalars(select(Membership.account_id).where(Membership.user_id == user_id))
    return frozenset(rows)


@dataclass(frozen=True)
class LiveKey:
    """A live API key as authentication needs it: who it belongs to and the accounts they reach."""

    id: uuid.UUID
    user_id: uuid.UUID
    last_used_at: datetime | None
    account_ids: frozenset[uuid.UUID]


# Built once, with table columns: a Core statement skips the ORM's compile and load steps.
# The inner join with users: a key whose user is gone (however its row went) is not live.
_keys, _memberships, _users = ApiKey.__table__.c, Membership.__table__.c, User.__table__.c
_LIVE_KEY = (
    select(_keys.id, _keys.user_id, _keys.last_used_at, _memberships.account_id)
    .join(User.__table__, _users.id == _keys.user_id)
    .outerjoin(Membership.__table__, _memberships.user_id == _keys.user_id)
    .where(_keys.token_hash == bindparam("token_hash"), _keys.revoked_at.is_(None))
)


async def live_key_by_hash(session: AsyncSession, token_hash: str) -> LiveKey | None:
    """The key and its user's accounts in one round trip (every authenticated request runs it)."""
    rows = (await session.execute(_LIVE_KEY, {"token_hash": token_hash})).all()
    if not rows:
        return None
    key_id, user_id, last_used_at, _ = rows[0]
    accounts = frozenset(row[3] for row in rows if row[3] is not None)
    return LiveKey(key_id, user_id, last_used_at, accounts)


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.strip().lower()))


async def existing_account_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    return set(await session.scalars(select(Account.id).where(Account.id.in_(ids))))


async def keys_of(session: AsyncSession, user_id: uuid.UUID) -> Sequence[ApiKey]:
    rows = await session.scalars(
        select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at, ApiKey.id)
    )
    return rows.all()


async def touch_key(session: AsyncSession, key_id: uuid.UUID, now: datetime) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
