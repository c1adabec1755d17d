"""The Bearer dependency: verifies the token, loads the caller's accounts, applies the rate limit."""

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rentengine.auth import repository
from rentengine.auth.ratelimit import remember_headers
from rentengine.auth.service import Principal, authenticate
from rentengine.db.session import READ_METHODS, RequestSession
from rentengine.errors import TooManyRequests, Unauthorized
from rentengine.kit.clock import utc_now
from rentengine.runtime import Runtime, runtime_of

# `last_used_at` is refreshed at most this often, so reads do not turn into writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)

_bearer = HTTPBearer(auto_error=False, description="An API key created in the portal or with the CLI.")


async def _touch(runtime: Runtime, key: repository.LiveKey) -> None:
    now = utc_now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    async with runtime.db.transaction() as session:
        await repository.touch_key(session, key.id, now)


async def _rate_limit(request: Request, runtime: Runtime, key: repository.LiveKey) -> None:
    if runtime.rate_limiter is None:
        return
    state = await runtime.rate_limiter.hit(f"key:{key.id}")
    # Added to every response of this request (errors included) by the rate-limit header middleware.
    remember_headers(request.scope, state.headers())
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
    if request.method in READ_METHODS:
        # A read request's own transaction: one connection and one snapshot for the whole request.
        found = await authenticate(session, runtime.settings.secret_key, credentials.credentials)
    else:
        # A short read of its own, finished before the request's write transaction takes any lock
        # (on SQLite, the rate limiter's own write could not proceed while this request held it).
        async with runtime.db.transaction(writes=False) as own:
            found = await authenticate(own, runtime.settings.secret_key, credentials.credentials)
    if found is None:
        raise Unauthorized()
    principal, key = found
    await _rate_limit(request, runtime, key)
    await _touch(runtime, key)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
