"""Per-token fixed-window rate limit whose counters live in the database.

Every API process shares the same counters, so the limit holds however many processes serve the API.
The rate string is parsed by the `limits` library ("30/5seconds"); one atomic upsert per request
both counts the hit and tells how much of the window is left.
"""

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from sqlalchemy import Double, bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import Scope

# Where the Bearer dependency leaves this request's `X-Ratelimit-*` headers (in the ASGI scope state),
# so that every response of the request carries them, error responses included.
STATE_KEY = "rentengine.ratelimit_headers"

# The new window's end is computed by the caller: PostgreSQL cannot type `$1 + $2` between two
# untyped parameters, while each parameter alone takes the type of the column it is compared with.
_HIT = text(
    """
    INSERT INTO rate_limit_counters (key, count, expires_at) VALUES (:key, 1, :new_expiry)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN rate_limit_counters.expires_at <= :now THEN 1
                   ELSE rate_limit_counters.count + 1 END,
      expires_at = CASE WHEN rate_limit_counters.expires_at <= :now THEN :new_expiry
                        ELSE rate_limit_counters.expires_at END
    RETURNING count, expires_at
    """
).bindparams(bindparam("now", type_=Double()), bindparam("new_expiry", type_=Double()))


@dataclass(frozen=True)
class WindowState:
    limit: int
    remaining: int
    reset_seconds: int
    allowed: bool

    def headers(self) -> dict[str, str]:
        return {
            "X-Ratelimit-Limit": str(self.limit),
            "X-Ratelimit-Remaining": str(self.remaining),
            "X-Ratelimit-Reset": str(self.reset_seconds),
        }


def remember_headers(scope: Scope, headers: dict[str, str]) -> None:
    scope.setdefault("state", {})[STATE_KEY] = headers


def rate_limit_headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = scope.get("state", {}).get(STATE_KEY) or {}
    return headers


_PEEK = text("SELECT count FROM rate_limit_counters WHERE key = :key AND expires_at > :now").bindparams(
    bindparam("now", type_=Double())
)


_RELEASE = text(
    "UPDATE rate_limit_counters SET count = count - 1 WHERE key = :key AND expires_at > :now AND count > 0"
).bindparams(bindparam("now", type_=Double()))


class RateLimiter:
    def __init__(self, engine: AsyncEngine, rate: str) -> None:
        self.engine = engine
        self.item: RateLimitItem = parse(rate)

    async def hit(self, identity: str) -> WindowState:
        now = time.time()
        key = self.item.key_for(identity)
        # Its own short transaction: a request that fails later must still have been counted.
        async with self.engine.begin() as conn:
            params = {"key": key, "now": now, "new_expiry": now + self.item.get_expiry()}
            row = (await conn.execute(_HIT, params)).one()
        count, expires_at = int(row[0]), float(row[1])
        return WindowState(
            limit=self.item.amount,
            remaining=max(0, self.item.amount - count),
            reset_seconds=max(0, math.ceil(expires_at - now)),
            allowed=count <= self.item.amount,
        )

    async def release(self, identity: str) -> None:
        """Gives back one hit of the current window (an attempt reserved by `hit` that turned out fine)."""
        async with self.engine.begin() as conn:
            await conn.execute(_RELEASE, {"key": self.item.key_for(identity), "now": time.time()})

    async def used(self, identity: str) -> int:
        """Hits counted in the current window, without counting one more (login throttling)."""
        async with self.engine.connect() as conn:
            count = await conn.scalar(_PEEK, {"key": self.item.key_for(identity), "now": time.time()})
        return int(count or 0)

    @property
    def limit(self) -> int:
        return self.item.amount
