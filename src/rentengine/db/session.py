"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from rentengine.db.poolguard import guard_one_connection_per_task, ping_connections_idle_for
from rentengine.errors import ServiceUnavailable
from rentengine.kit.unreachable import is_unreachable

# Session flag set by the webhook outbox: the commit must wake the delivery worker.
WAKE_DELIVERY_WORKER = "rentengine.wake_delivery_worker"
# Execution option marking a session that will write; SQLite then begins with the write lock held.
WRITE_OPTION = "rentengine_writes"
# Requests of these methods only read: their transaction never takes a write lock.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A pooled PostgreSQL connection unused for longer than this is checked before it is handed out.
IDLE_PING_SECONDS = 10.0
ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
# `?pgbouncer=true` on a PostgreSQL URL: a pooler in transaction mode (PgBouncer) stands between, so
# two transactions of one connection may run on two server connections and nothing may stay prepared
# on the server from one to the next.
POOLER_PARAMETER = "pgbouncer"
# asyncpg without its statement cache uses unnamed statements and sends each statement's text again
# with every execution (Parse, Bind, Execute in one exchange), so no execution relies on a statement
# an earlier exchange prepared. SQLAlchemy's own cache then keeps only result descriptions. The cost,
# the server planning every statement anew, is why this is not the default on a direct connection.
POOLER_CONNECT_ARGS = {"statement_cache_size": 0}


def async_url(database_url: str) -> URL:
    """Accepts plain `sqlite:///…` and `postgresql://…` URLs and picks the async driver itself."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend not in ASYNC_DRIVERS:
        raise ValueError(f"unsupported database: {backend!r} (use sqlite:/// or postgresql://)")
    behind_transaction_pooler(database_url)  # a malformed value is refused here, at the start
    return url.set(drivername=ASYNC_DRIVERS[backend]).difference_update_query([POOLER_PARAMETER])


def behind_transaction_pooler(database_url: str) -> bool:
    """Whether the URL says it leads to a pooler in transaction mode (`?pgbouncer=true`)."""
    value = make_url(database_url).query.get(POOLER_PARAMETER, "false")
    if value not in ("true", "false"):
        raise ValueError(f"{POOLER_PARAMETER}= in the database URL takes true or false, not {value!r}")
    return value == "true"


def _tune_sqlite(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # The driver's own implicit BEGIN is turned off so that `_begin_sqlite` decides how to begin.
    dbapi_connection.isolation_level = None
    # WAL lets readers run beside the one writer; busy_timeout makes writers queue instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    # A write transaction takes the write lock up front (BEGIN IMMEDIATE): a deferred one that reads
    # first and writes later could fail with SQLITE_BUSY instead of waiting for busy_timeout.
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine(database_url: str, pool_size: int = 10) -> AsyncEngine:
    url = async_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
        event.listen(engine.sync_engine, "begin", _begin_sqlite)
    else:
        connect_args = POOLER_CONNECT_ARGS if behind_transaction_pooler(database_url) else {}
        engine = create_async_engine(
            url, pool_size=pool_size, max_overflow=pool_size, connect_args=dict(connect_args)
        )
        ping_connections_idle_for(engine, IDLE_PING_SECONDS)
    guard_one_connection_per_task(engine)
    return engine


class CommitOutcomeUnknown(Exception):
    """The connection was lost during COMMIT: the change may or may not have been applied, so this is
    never reported as safe to retry (unlike a connection lost before it, see `is_unreachable`)."""


class Database:
    """Owns the engine and hands out sessions. One per process."""

    def __init__(self, database_url: str, pool_size: int = 10) -> None:
        self.url = database_url
        self.engine = create_engine(database_url, pool_size)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        # Same pool; on SQLite its transactions begin with the write lock held (see `_begin_sqlite`).
        self.write_sessions = async_sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False, autoflush=False
        )
        self._delivery_listeners: list[Callable[[], None]] = []

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def on_delivery_enqueued(self, listener: Callable[[], None]) -> None:
        """Calls `listener` after each commit that enqueued webhook deliveries (wakes in-process workers)."""
        self._delivery_listeners.append(listener)

    @asynccontextmanager
    async def transaction(self, writes: bool = True) -> AsyncIterator[AsyncSession]:
        """A session whose work commits once at the end, or rolls back on any error."""
        # The connection (and so the transaction) is taken lazily, at the first statement.
        async with (self.write_sessions if writes else self.sessions)() as session:
            committing = False
            try:
                async with session.begin():
                    yield session
                    committing = True
            except Exception as exc:
                if committing and is_unreachable(exc):
                    raise CommitOutcomeUnknown from exc
                raise
            # Committed: only now may a worker see the new deliveries.
            if session.info.pop(WAKE_DELIVERY_WORKER, False):
                for listener in self._delivery_listeners:
                    listener()

    async def dispose(self) -> None:
        await self.engine.dispose()


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent (or rolled back)."""
    db: Database = request.app.state.runtime.db
    async with db.transaction(writes=request.method not in READ_METHODS) as session:
        try:
            yield session
        except Exception as exc:
            if is_unreachable(exc):
                # Before COMMIT, so nothing was written: the client may send the request again.
                raise ServiceUnavailable from exc
            raise


# scope="function": the commit happens before the response goes out, so a failed commit is an error
# response and never a success the database does not hold.
RequestSession = Annotated[AsyncSession, Depends(_request_session, scope="function")]
