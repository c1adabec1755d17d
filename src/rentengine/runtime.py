"""What one server process holds for its lifetime: settings, database, rate limiters."""

from dataclasses import dataclass

from fastapi import Request

from rentengine.auth.keycache import VerifiedKeys
from rentengine.auth.ratelimit import ApiRateLimiter, CounterStore, RateLimiter, counter_store
from rentengine.db.session import Database
from rentengine.portal.sessions import LOGIN_FAILURES
from rentengine.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    db: Database
    counters: CounterStore
    # The per-key API limit (None when switched off) and the portal's sign-in throttle.
    rate_limiter: RateLimiter | None
    login_limiter: RateLimiter
    verified_keys: VerifiedKeys

    @classmethod
    def build(cls, settings: Settings, db: Database | None = None) -> "Runtime":
        db = db or Database(settings.database_url, settings.database_pool_size)
        counters = counter_store(settings.rate_limit_storage, db.engine)
        limiter = ApiRateLimiter(counters, settings.rate_limit) if settings.rate_limit_enabled else None
        return cls(
            settings=settings,
            db=db,
            counters=counters,
            rate_limiter=limiter,
            login_limiter=RateLimiter(counters, LOGIN_FAILURES),
            verified_keys=VerifiedKeys(settings.verified_key_cache_seconds),
        )

    async def close(self) -> None:
        await self.counters.close()
        await self.db.dispose()


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
