"""Issuing, listing, revoking and checking agent tokens (the portal, the CLI and showings use these)."""

import secrets
import string
import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.agents.models import AgentToken
from rentengine.kit.clock import utc_now
from rentengine.kit.crypto import token_digest

CODE_ALPHABET = string.ascii_uppercase + string.digits
CODE_LENGTH = 6


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def is_well_formed(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(char in CODE_ALPHABET for char in code)


async def issue(
    session: AsyncSession, account_id: uuid.UUID, label: str, created_by: uuid.UUID | None
) -> tuple[AgentToken, str]:
    """A new token and its code, which is shown this once and stored only as a digest."""
    while True:
        code = new_code()
        if await _find(session, account_id, code) is None:
            break
    token = AgentToken(
        account_id=account_id,
        label=label,
        code_digest=token_digest(code),
        created_by=created_by,
        created_at=utc_now(),
    )
    session.add(token)
    await session.flush()
    return token, code


async def list_tokens(session: AsyncSession, account_ids: Sequence[uuid.UUID]) -> list[AgentToken]:
    """The accounts' tokens, newest first, revoked ones included."""
    stmt = (
        select(AgentToken)
        .where(AgentToken.account_id.in_(account_ids))
        .order_by(AgentToken.created_at.desc(), AgentToken.id)
    )
    return list((await session.scalars(stmt)).all())


async def revoke(
    session: AsyncSession, account_ids: Sequence[uuid.UUID], token_id: uuid.UUID
) -> AgentToken | None:
    """Revokes the token if it belongs to one of the accounts (revoking twice keeps the first time)."""
    token = await session.scalar(
        select(AgentToken).where(AgentToken.id == token_id, AgentToken.account_id.in_(account_ids))
    )
    if token is not None and token.revoked_at is None:
        token.revoked_at = utc_now()
        await session.flush()
    return token


async def is_valid(session: AsyncSession, account_id: uuid.UUID, code: str) -> bool:
    """Whether `code` is an unrevoked token of the account."""
    if not is_well_formed(code):
        return False
    token = await _find(session, account_id, code)
    return token is not None and token.revoked_at is None


async def _find(session: AsyncSession, account_id: uuid.UUID, code: str) -> AgentToken | None:
    return await session.scalar(
        select(AgentToken).where(
            AgentToken.account_id == account_id, AgentToken.code_digest == token_digest(code)
        )
    )
