"""The Bearer dependency: verifies the token, applies the rate limit, loads the caller's accounts.

No step here waits for a pooled connection while the request holds one: the rate limit is counted
from the token's verified claims before any database work, a read request's key lookup runs in the
request's own transaction (or is answered by the verified-key cache), and `last_used_at` is written
after the response, when the request's connection is back in the pool (`KeyUsageWriter`).
"""

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from rentengine.auth import repository
from rentengine.auth.ratelimit import remember_headers
from rentengine.auth.service import Principal
from rentengine.auth.tokens import read_token
from rentengine.db.session import READ_METHODS, RequestSession
from rentengine.errors import TooManyRequests, Unauthorized
from rentengine.kit.clock import utc_now
from rentengine.kit.crypto import token_digest
from rentengine.runtime import Runtime, runtime_of

log = logging.getLogger(__name__)

# Where the dependency leaves the id of a key whose `last_used_at` is due (in the ASGI scope state).
TOUCH_STATE_KEY = "rentengine.touch_key"

_bearer = HTTPBearer(auto_error=False, description="An API key created in the portal or with the CLI.")


KeyLookup = Callable[[str], Awaitable[repository.LiveKey | None]]


async def admit(runtime: Runtime, scope: Scope, token: str, lookup: KeyLookup) -> repository.LiveKey:
    """The live key behind a Bearer token, its request counted against the key's rate limit.

    Raises `Unauthorized` or `TooManyRequests`. A token verified moments ago is answered by the
    verified-key cache; otherwise its signature is checked and the hit counted before `lookup` reads
    the key from the database, so the limiter never runs while the request holds a connection.
    """
    digest = token_digest(token)
    key = runtime.verified_keys.get(digest)
    if key is not None:
        await _rate_limit(scope, runtime, key.id)
    else:
        key = await _verify(runtime, scope, token, digest, lookup)
    if runtime.verified_keys.touch_due(key, utc_now()):
        scope.setdefault("state", {})[TOUCH_STATE_KEY] = key.id
    return key


async def _verify(
    runtime: Runtime, scope: Scope, token: str, digest: str, lookup: KeyLookup
) -> repository.LiveKey:
    claims = read_token(runtime.settings.secret_key, token)
    if claims is None:
        raise Unauthorized()
    # Signed by this server, the claims' key id is genuine before the database says it is still live.
    await _rate_limit(scope, runtime, claims.key_id)
    key = await lookup(digest)
    if key is None or key.id != claims.key_id or key.user_id != claims.user_id:
        raise Unauthorized()
    runtime.verified_keys.put(digest, key)
    return key


async def _rate_limit(scope: Scope, runtime: Runtime, key_id: uuid.UUID) -> None:
    if runtime.rate_limiter is None:
        return
    state = await runtime.rate_limiter.hit(f"key:{key_id}")
    # Added to every response of this request (errors included) by the rate-limit header middleware.
    remember_headers(scope, state.headers())
    if not state.allowed:
        raise TooManyRequests(retry_after=state.reset_seconds)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session: RequestSession,
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized()
    runtime = runtime_of(request)

    async def lookup(digest: str) -> repository.LiveKey | None:
        if request.method in READ_METHODS:
            # A read request's own transaction: one connection and one snapshot for the whole request.
            return await repository.live_key_by_hash(session, digest)
        return await read_live_key(runtime, digest)

    key = await admit(runtime, request.scope, credentials.credentials, lookup)
    return principal_of(key)


async def read_live_key(runtime: Runtime, digest: str) -> repository.LiveKey | None:
    """The key in a short read of its own (finished before a write transaction takes any lock)."""
    async with runtime.db.transaction(writes=False) as session:
        return await repository.live_key_by_hash(session, digest)


def principal_of(key: repository.LiveKey) -> Principal:
    return Principal(user_id=key.user_id, api_key_id=key.id, account_ids=key.account_ids)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


class KeyUsageWriter:
    """Writes a key's `last_used_at` once its request is over and its connection is back in the pool."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        key_id = scope.get("state", {}).get(TOUCH_STATE_KEY) if scope["type"] == "http" else None
        if key_id is None:
            return
        runtime: Runtime = scope["app"].state.runtime
        try:
            async with runtime.db.transaction() as session:
                await repository.touch_key(session, key_id, utc_now())
        except Exception:  # the answer is sent; a missed touch is retried on a later request
            log.exception("could not record the use of API key %s", key_id)
            runtime.verified_keys.forget_touch(key_id)
