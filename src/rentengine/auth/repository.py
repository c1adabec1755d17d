"""SQL for accounts, users, memberships and API keys."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth.models import Account, ApiKey, Membership, User


async def account_ids_of(session: AsyncSession, user_id: uuid.UUID) -> frozenset[uuid.UUID]:
    rows = await session.scalars(select(Membership.account_id).where(Membership.user_id == user_id))
    return frozenset(rows)


async def live_key_by_hash(session: AsyncSession, token_hash: str) -> ApiKey | None:
    return await session.scalar(
        select(ApiKey).where(ApiKey.token_hash == token_hash, ApiKey.revoked_at.is_(None))
    )


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
