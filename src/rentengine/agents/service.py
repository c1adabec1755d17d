"""Issuing, listing, revoking and checking agent tokens (the portal, the CLI and showings use these).

The portal and the CLI issue and revoke through `issue_recorded` and `revoke_recorded`, which apply
the account rules and write the audit entry (table `agent_tokens`, which no webhook subscription can
list) in the caller's transaction.
"""

import secrets
import string
import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.agents.models import AgentToken
from rentengine.auth.access import Caller, require_account, visible
from rentengine.auth.models import User
from rentengine.auth.repository import existing_account_ids
from rentengine.changes.seam import record_change
from rentengine.changes.types import Actor, Change, Record
from rentengine.errors import NotFound
from rentengine.kit.clock import isoformat_z, utc_now
from rentengine.kit.crypto import token_digest

CODE_ALPHABET = string.ascii_uppercase + string.digits
CODE_LENGTH = 6
MAX_LABEL_LENGTH = 200
TABLE = "agent_tokens"


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


class AgentTokenRefused(ValueError):
    """A label the rules refuse; the message says why, in words for the person who typed it."""


def token_record(token: AgentToken) -> Record:
    """The token as the audit log records it: never the code, nor its digest."""
    return {
        "id": str(token.id),
        "account_id": str(token.account_id),
        "label": token.label,
        "created_by": str(token.created_by) if token.created_by else None,
        "created_at": isoformat_z(token.created_at),
        "revoked_at": isoformat_z(token.revoked_at) if token.revoked_at else None,
    }


def checked_label(label: str) -> str:
    label = label.strip()
    if not label or len(label) > MAX_LABEL_LENGTH:
        raise AgentTokenRefused(
            f"Give the token a label (at most {MAX_LABEL_LENGTH} characters), e.g. the agent's name."
        )
    return label


async def issue_recorded(
    session: AsyncSession, caller: Caller, actor: Actor, account_id: uuid.UUID, label: str
) -> tuple[AgentToken, str]:
    """Issues a token for an account the caller may act on (403, or 404 when it does not exist),
    made by the actor, and records it in the audit log; returns the token and its code."""
    label = checked_label(label)
    require_account(caller, account_id)
    if not await existing_account_ids(session, [account_id]):
        raise NotFound()
    token, code = await issue(session, account_id, label, actor.user_id)
    await record_change(session, actor, Change.insert(TABLE, account_id, token_record(token)))
    return token, code


async def visible_token(session: AsyncSession, caller: Caller, token_id: uuid.UUID) -> AgentToken:
    """The token, or 404 when it does not exist or lives in an account the caller cannot access."""
    return visible(caller, await session.get(AgentToken, token_id))


async def revoke_recorded(
    session: AsyncSession, caller: Caller, actor: Actor, token_id: uuid.UUID
) -> AgentToken:
    """Revokes a token the caller can see (404 otherwise) and records it; revoking again changes nothing."""
    token = await visible_token(session, caller, token_id)
    if token.revoked_at is None:
        old = token_record(token)
        await revoke(session, [token.account_id], token.id)
        change = Change.update(TABLE, token.account_id, token_record(token), old)
        await record_change(session, actor, change)
    return token


async def issuer_emails(session: AsyncSession, tokens: Sequence[AgentToken]) -> dict[uuid.UUID, str]:
    """The emails of the portal users who issued the tokens (a deleted user's are gone)."""
    user_ids = {token.created_by for token in tokens if token.created_by is not None}
    if not user_ids:
        return {}
    rows = await session.execute(select(User.id, User.email).where(User.id.in_(user_ids)))
    return {row.id: row.email for row in rows}
