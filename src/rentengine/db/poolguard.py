"""Pool policies: one pooled connection per task at a time, enforced; idle connections checked.

A request or background task that holds a pooled connection and waits for a second one from the
same pool deadlocks as soon as as many tasks as the pool has connections do the same: each holds
one and waits for another. The guard refuses the second checkout at once, with an error naming the
mistake, instead of letting it wait; the test suite runs with it, so no code path does this.
"""

import asyncio
import time
import weakref
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry

_HOLDER = "rentengine.holder"
_RETURNED_AT = "rentengine.returned_at"


class SecondConnectionRefused(RuntimeError):
    """A task asked the pool for a connection while it already held one."""


def guard_one_connection_per_task(engine: AsyncEngine) -> None:
    held: weakref.WeakKeyDictionary[asyncio.Task[Any], int] = weakref.WeakKeyDictionary()

    def on_checkout(_dbapi: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        task = _current_task()
        if task is None:
            return
        if held.get(task, 0):
            # Raised inside the checkout: the pool takes the connection back.
            raise SecondConnectionRefused(
                "a task asked for a second pooled connection while holding one; finish the first "
                "transaction before starting another (waiting here deadlocks under load)"
            )
        held[task] = 1
        record.info[_HOLDER] = weakref.ref(task)

    def on_checkin(_dbapi: Any, record: ConnectionPoolEntry) -> None:
        holder = record.info.pop(_HOLDER, None)
        task = holder() if holder is not None else None
        if task is not None:
            held.pop(task, None)

    event.listen(engine.sync_engine, "checkout", on_checkout)
    event.listen(engine.sync_engine, "checkin", on_checkin)


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop: synchronous use (migrations), nothing to guard
        return None


def ping_connections_idle_for(engine: AsyncEngine, seconds: float) -> None:
    """Checks a connection that sat unused in the pool for `seconds` before handing it out.

    SQLAlchemy's `pool_pre_ping` checks every checkout, which on asyncpg costs three round trips
    (BEGIN, a ping, ROLLBACK) per request. A connection in steady use was just known to work;
    one that sat idle may have been closed by a restart or a proxy, and is replaced if so.
    """

    def on_checkout(dbapi: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None or time.monotonic() - returned_at < seconds:
            return
        try:
            dbapi.ping()
        except Exception as error:
            # The pool replaces the connection and tries again.
            raise exc.DisconnectionError("an idle pooled connection no longer answers") from error

    def on_checkin(_dbapi: Any, record: ConnectionPoolEntry) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    event.listen(engine.sync_engine, "checkout", on_checkout)
    event.listen(engine.sync_engine, "checkin", on_checkin)
