"""What one server process holds for its lifetime: settings, database, rate limiter."""

from dataclasses import dataclass

from fastapi import Request

from rentengine.auth.ratelimit import RateLimiter
from rentengine.db.session import Database
from rentengine.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    db: Database
    rate_limiter: RateLimiter | None

    @classmethod
    def build(cls, settings: Settings, db: Database | None = None) -> "Runtime":
        db = db or Database(settings.database_url, settings.database_pool_size)
        limiter = RateLimiter(db.engine, settings.rate_limit) if settings.rate_limit_enabled else None
        return cls(settings=settings, db=db, rate_limiter=limiter)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
