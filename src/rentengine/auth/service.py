"""Account, user and key rules. Services decide and never commit."""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.audit.service import write_audit_entries
from rentengine.auth import repository
from rentengine.auth.models import Account, ApiKey, Membership, User
from rentengine.auth.tokens import issue_token
from rentengine.changes.types import Actor, Change
from rentengine.kit.clock import utc_now
from rentengine.kit.crypto import hash_password, token_digest
from rentengine.kit.ids import new_uuid

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AuthRuleError(ValueError):
    """A CLI or portal request that breaks an account/user/key rule."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's user, the key, and every account the user belongs to."""

    user_id: uuid.UUID
    api_key_id: uuid.UUID | None
    account_ids: frozenset[uuid.UUID]

    def can_access(self, account_id: uuid.UUID) -> bool:
        return account_id in self.account_ids


async def create_account(session: AsyncSession, name: str) -> Account:
    if not name.strip():
        raise AuthRuleError("an account needs a name")
    account = Account(id=new_uuid(), name=name.strip(), created_at=utc_now())
    session.add(account)
    await session.flush()
    return account


async def create_user(
    session: AsyncSession, email: str, account_ids: Sequence[uuid.UUID], password: str | None = None
) -> User:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise AuthRuleError(f"not an email address: {email!r}")
    if await repository.user_by_email(session, email) is not None:
        raise AuthRuleError(f"a user with email {email} already exists")
    missing = set(account_ids) - await repository.existing_account_ids(session, account_ids)
    if missing:
        raise AuthRuleError(f"no such account: {', '.join(sorted(map(str, missing)))}")
    user = User(
        id=new_uuid(),
        email=email,
        created_at=utc_now(),
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    await session.flush()
    for account_id in dict.fromkeys(account_ids):
        session.add(Membership(user_id=user.id, account_id=account_id, created_at=utc_now()))
    await session.flush()
    return user


async def require_user(session: AsyncSession, email: str) -> User:
    user = await repository.user_by_email(session, email)
    if user is None:
        raise AuthRuleError(f"no user with email {email.strip().lower()}")
    return user


MIN_PASSWORD_LENGTH = 8


async def set_password(session: AsyncSession, email: str, password: str) -> User:
    """Sets the user's portal password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthRuleError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    user = await require_user(session, email)
    user.password_hash = hash_password(password)
    await session.flush()
    return user


async def create_api_key(session: AsyncSession, secret_key: str, user: User, name: str) -> tuple[ApiKey, str]:
    """Creates a key and returns it with its token, which exists only in this return value."""
    if not name.strip():
        raise AuthRuleError("an API key needs a name")
    now = utc_now()
    key = ApiKey(id=new_uuid(), user_id=user.id, name=name.strip(), created_at=now)
    token = issue_token(secret_key, user.id, key.id, now)
    key.token_hash = token_digest(token)
    session.add(key)
    await session.flush()
    return key, token


async def revoke_api_key(
    session: AsyncSession, key_id: uuid.UUID, user_id: uuid.UUID | None = None
) -> ApiKey:
    """Irreversible. `user_id` restricts the revocation to that user's keys (portal)."""
    key = await session.get(ApiKey, key_id)
    if key is None or (user_id is not None and key.user_id != user_id):
        raise AuthRuleError(f"no API key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utc_now()
        await session.flush()
    return key


async def delete_user(session: AsyncSession, email: str) -> User:
    """Removes a user: their keys are revoked first, then the row with their memberships goes.

    Each of their accounts' audit logs records the deletion. The caller ends their portal sessions.
    """
    user = await require_user(session, email)
    account_ids = await repository.account_ids_of(session, user.id)
    now = utc_now()
    await session.execute(
        update(ApiKey).where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None)).values(revoked_at=now)
    )
    record = {"id": str(user.id), "email": user.email}
    changes = [Change.delete("users", account_id, record) for account_id in sorted(account_ids)]
    await write_audit_entries(session, Actor(user_id=None), changes)
    await session.execute(delete(Membership).where(Membership.user_id == user.id))
    await session.delete(user)
    await session.flush()
    return user
