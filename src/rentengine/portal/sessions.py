"""Portal sign-in: server-side sessions behind an HttpOnly cookie, CSRF tokens, login throttling."""

import hmac
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from fastapi import Request
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth import repository as auth_repository
from rentengine.auth.models import User
from rentengine.kit.clock import utc_now
from rentengine.kit.crypto import hash_password, token_digest, verify_password
from rentengine.kit.ids import new_token
from rentengine.portal.models import PortalSession

SESSION_COOKIE = "rentengine_portal"
LOGIN_CSRF_COOKIE = "rentengine_login_csrf"
SESSION_LIFETIME = timedelta(hours=12)
# Failed sign-ins allowed per email (and per client address) in one window before the form refuses.
LOGIN_FAILURES = "5/15minutes"


class NotSignedIn(Exception):
    """Raised by page dependencies; rendered as a redirect to the login page."""


@dataclass(frozen=True)
class PortalUser:
    user_id: uuid.UUID
    email: str
    account_ids: frozenset[uuid.UUID]
    csrf_token: str
    session_id: str


@cache
def _dummy_hash() -> str:
    """A hash of a password nobody knows, made like the stored ones (same algorithm and parameters)."""
    return hash_password(new_token(32))


async def sign_in(session: AsyncSession, email: str, password: str) -> tuple[User, str] | None:
    """The user and a new session token when the password matches, else None."""
    user = await auth_repository.user_by_email(session, email)
    stored = user.password_hash if user is not None else None
    # An unknown email, or a user without a password, is checked against a dummy hash: the answer
    # takes as long as for a wrong password, so its timing does not tell which emails exist.
    matches = verify_password(stored or _dummy_hash(), password)
    if user is None or stored is None or not matches:
        return None
    token = new_token(32)
    now = utc_now()
    session.add(
        PortalSession(
            id=token_digest(token),
            user_id=user.id,
            csrf_token=new_token(24),
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    await session.flush()
    return user, token


async def sign_out(session: AsyncSession, session_id: str) -> None:
    await session.execute(delete(PortalSession).where(PortalSession.id == session_id))


async def sign_out_everywhere(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Ends every portal session of the user (after a password change)."""
    await session.execute(delete(PortalSession).where(PortalSession.user_id == user_id))


async def portal_user(session: AsyncSession, request: Request) -> PortalUser:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotSignedIn()
    row = await session.scalar(select(PortalSession).where(PortalSession.id == token_digest(token)))
    if row is None or row.expires_at <= utc_now():
        raise NotSignedIn()
    user = await session.get(User, row.user_id)
    if user is None:
        raise NotSignedIn()
    accounts = await auth_repository.account_ids_of(session, user.id)
    return PortalUser(user.id, user.email, accounts, row.csrf_token, row.id)


def csrf_matches(expected: str | None, sent: str | None) -> bool:
    """Whether a form sent the expected token; an empty or missing token (either side) never matches."""
    if not expected or not sent:
        return False
    return hmac.compare_digest(expected.encode(), sent.encode())
