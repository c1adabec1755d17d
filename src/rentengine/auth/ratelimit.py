"""Fixed-window rate limits: the per-key API limit and the portal's sign-in throttle.

The rate string is parsed by the `limits` library ("30/5seconds"). Where the counters live is a
`CounterStore`, chosen per deployment (`counter_store`):

- one process: `limits`' in-process memory storage, no I/O on the request path;
- several processes or machines: `limits`' Redis storage (Redis or Valkey), one round trip a hit;
- several processes without Redis (`serve --workers N`): a table in the database, one atomic upsert
  a hit (UNLOGGED on PostgreSQL, so a hit does not wait for a WAL flush).

A hit is always counted before the request takes a database connection of its own, so a database
store never makes a request hold one pooled connection while waiting for another.
"""

import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Double, bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import Scope

if TYPE_CHECKING:  # `limits` is imported where a store is built; the mock never builds one
    from limits import RateLimitItem
    from limits.aio.storage import Storage

log = logging.getLogger(__name__)

# Where the Bearer dependency leaves this request's `X-Ratelimit-*` headers (in the ASGI scope state),
# so that every response of the request carries them, error responses included.
STATE_KEY = "rentengine.ratelimit_headers"
# A Redis that does not answer within this long is treated as down: the request is let through.
# Generous, because it also covers the wait for this process's own busy event loop: at 1 s, twenty
# concurrent first requests (each opening its connection) on a loaded machine were let through.
REDIS_TIMEOUT_SECONDS = 3.0


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


class CounterStore(Protocol):
    """Counts hits of fixed windows that start at a key's first hit."""

    name: str

    async def incr(self, key: str, window_seconds: int) -> tuple[int, float]:
        """Counts one hit in the key's current window; returns its count and end (Unix time)."""
        ...

    async def decr(self, key: str) -> None:
        """Takes one hit back from the key's current window (never below zero)."""
        ...

    async def close(self) -> None: ...


class LimitsStore:
    """A `limits` async storage (memory, Redis): its atomic increment, plus each window's end.

    `limits` reads a window's end with a second call; this store remembers the end it learned for
    each key, so a hit costs one storage call except when another process opened the window.
    """

    def __init__(self, storage: "Storage", name: str) -> None:
        self.storage = storage
        self.name = name
        self._window_ends: dict[str, float] = {}

    async def incr(self, key: str, window_seconds: int) -> tuple[int, float]:
        now = time.time()
        count = await self.storage.incr(key, window_seconds)
        end = self._window_ends.get(key, 0.0)
        if count == 1:
            end = now + window_seconds  # this hit opened the window
        elif end <= now:
            end = await self.storage.get_expiry(key)
        self._remember(key, end, now)
        return count, end

    async def decr(self, key: str) -> None:
        from limits.aio.storage import MemoryStorage

        if isinstance(self.storage, MemoryStorage):
            await self.storage.decr(key)
        elif self._window_ends.get(key, 0.0) > time.time():
            # Redis: `limits` has no floor-at-zero decrement; a hit is only taken back while the
            # window this process counted it in is still open, so the count does not go below zero.
            await self.storage.incr(key, 1, amount=-1)

    def _remember(self, key: str, end: float, now: float) -> None:
        if len(self._window_ends) > 100_000:  # drop the ended windows of keys no longer in use
            self._window_ends = {k: v for k, v in self._window_ends.items() if v > now}
        self._window_ends[key] = end

    async def close(self) -> None:
        self._window_ends.clear()


# The new window's end is computed by the caller: PostgreSQL cannot type `$1 + $2` between two
# untyped parameters, while each parameter alone takes the type of the column it is compared with.
_DB_INCR = text(
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


_DB_DECR = text(
    "UPDATE rate_limit_counters SET count = count - 1 WHERE key = :key AND expires_at > :now AND count > 0"
).bindparams(bindparam("now", type_=Double()))


class DatabaseStore:
    """Counters in the `rate_limit_counters` table, exact across every process on the database."""

    name = "database"

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def incr(self, key: str, window_seconds: int) -> tuple[int, float]:
        now = time.time()
        params = {"key": key, "now": now, "new_expiry": now + window_seconds}
        # Its own short transaction: a request that fails later must still have been counted.
        async with self.engine.begin() as conn:
            row = (await conn.execute(_DB_INCR, params)).one()
        return int(row[0]), float(row[1])

    async def decr(self, key: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(_DB_DECR, {"key": key, "now": time.time()})

    async def close(self) -> None:
        """The engine belongs to the database."""


def counter_store(storage: str, engine: AsyncEngine) -> CounterStore:
    """The store a `RENTENGINE_RATE_LIMIT_STORAGE` value names ("" and "memory" are process memory)."""
    from limits.aio.storage import MemoryStorage, Storage
    from limits.storage import storage_from_string

    if storage in ("", "memory"):
        return LimitsStore(MemoryStorage(), "memory")
    if storage == "database":
        return DatabaseStore(engine)
    scheme, _, rest = storage.partition("://")
    # Valkey speaks the Redis protocol; redis-py serves both.
    scheme = {"valkey": "redis", "valkeys": "rediss"}.get(scheme, scheme)
    uri = f"async+{scheme}://{rest}"
    options = {"socket_timeout": REDIS_TIMEOUT_SECONDS, "socket_connect_timeout": REDIS_TIMEOUT_SECONDS}
    redis = storage_from_string(uri, implementation="redispy", key_prefix="rentengine", **options)
    if not isinstance(redis, Storage):
        raise ValueError(f"not an async rate-limit storage: {scheme}")
    return LimitsStore(redis, "redis")


class RateLimiter:
    """One rate (`limits` syntax) counted per identity in a store."""

    def __init__(self, store: CounterStore, rate: str) -> None:
        self.store = store
        from limits import parse

        self.item: RateLimitItem = parse(rate)

    async def hit(self, identity: str) -> WindowState:
        """Counts one hit; `allowed` says whether it was within the limit."""
        count, window_end = await self.store.incr(self.item.key_for(identity), self.item.get_expiry())
        return self._state(count, window_end)

    async def release(self, identity: str) -> None:
        """Gives back one hit of the current window (an attempt reserved by `hit` that turned out fine)."""
        await self.store.decr(self.item.key_for(identity))

    def _state(self, count: int, window_end: float) -> WindowState:
        return WindowState(
            limit=self.item.amount,
            remaining=max(0, self.item.amount - count),
            reset_seconds=max(0, math.ceil(window_end - time.time())),
            allowed=count <= self.item.amount,
        )

    @property
    def limit(self) -> int:
        return self.item.amount


class ApiRateLimiter(RateLimiter):
    """The per-key API limit. A store that fails (Redis down) lets requests through, and says so."""

    def __init__(self, store: CounterStore, rate: str) -> None:
        super().__init__(store, rate)
        self._last_warning = -math.inf
        # Failures since the process started (the metric `rentengine_rate_limit_storage_errors_total`).
        self.storage_errors = 0

    async def hit(self, identity: str) -> WindowState:
        try:
            return await super().hit(identity)
        except Exception as exc:  # any store failure: availability over the limit
            self.storage_errors += 1
            self._warn(exc)
            window = self.item.get_expiry()
            return WindowState(self.item.amount, self.item.amount, window, allowed=True)

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning >= 10:  # one line per 10 s, not one per request
            self._last_warning = now
            log.warning("rate-limit store %s failed, requests are let through: %r", self.store.name, exc)
