"""Readiness of one API process (`/readyz`), as a load balancer asks it.

`/healthz` says the process is alive; `/readyz` says it should be sent requests: the database
answers, its schema is one this release can run on, the rate-limit store answers, and the process
is not draining after SIGTERM. Every check is bounded by `CHECK_TIMEOUT_SECONDS`, so a hung
database or Redis makes the probe fail quickly instead of hanging it.

The schema check compares `alembic_version` with the head of this release's migrations, read once
per process. A schema this release does not know (a revision missing from its migrations) was
migrated by a newer release during a rolling upgrade: migrations only expand the schema for the
release before them (docs/operations.md), so an older node stays ready on it. A known revision
other than the head is an older schema: `rentengine migrate` has not run, and the node is not ready.

Failures name the check and the kind of error, never the exception's text: a driver's message may
carry a host, a user or a URL.

`/readyz?exclude=rate_limit_store` (as Kubernetes' API server spells it; repeated, or comma
separated) still runs and shows an excluded check but does not fail on it: a balancer of nodes that
share one Redis can keep them all in rotation while Redis is down (the limiter then lets requests
through) instead of taking the whole cluster out. Draining cannot be excluded.
"""

import asyncio
import functools
import logging
import signal
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.responses import Response

from rentengine.auth.ratelimit import CounterStore, DatabaseStore, LimitsStore
from rentengine.errors import QUERY_ERROR, BadRequest, detail, json_response, render
from rentengine.kit.unreachable import is_unreachable
from rentengine.runtime import Runtime

log = logging.getLogger(__name__)

# A balancer probes every few seconds; a check that takes longer than this counts as failed.
CHECK_TIMEOUT_SECONDS = 2.0
# The signals a server stops on; the first one puts the process in the draining state.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
OK = "ok"
# The checks a probe may exclude: every dependency, not the draining that a stop relies on.
EXCLUDABLE = ("database", "migrations", "rate_limit_store")

T = TypeVar("T")


@dataclass(frozen=True)
class Migrations:
    """This release's migrations: the head revision and every revision it knows."""

    head: str
    known: frozenset[str]


@functools.cache
def release_migrations() -> Migrations:
    """Read from the migration scripts once per process (loading them takes a fraction of a second)."""
    from alembic.script import ScriptDirectory

    from rentengine.db.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config(""))
    head = scripts.get_current_head()
    if head is None:
        raise RuntimeError("the migrations have no single head revision")
    return Migrations(head, frozenset(script.revision for script in scripts.walk_revisions()))


def schema_verdict(stored: list[str] | None, migrations: Migrations) -> str:
    """`OK`, or why the stored `alembic_version` rows (None: no such table) do not suit this release."""
    if stored is None:
        return "no schema version recorded: run `rentengine migrate`"
    if len(stored) != 1:
        return f"expected one schema revision, found {len(stored)}: run `rentengine migrate`"
    [revision] = stored
    if revision == migrations.head or revision not in migrations.known:
        return OK  # at this release's head, or expanded by a newer release
    return f"schema at revision {revision}, this release needs {migrations.head}: run `rentengine migrate`"


class Readiness:
    """The checks behind `/readyz`, and the draining state a stop signal sets."""

    def __init__(self, runtime: Runtime, timeout: float = CHECK_TIMEOUT_SECONDS) -> None:
        self.runtime = runtime
        self.timeout = timeout
        self.draining = False

    async def checks(self) -> dict[str, str]:
        """Each check's result: `OK`, or a short reason free of addresses and credentials."""
        if self.draining:
            return {"draining": "the process is shutting down after a stop signal"}
        store = self.runtime.counters
        (stored, database), (_, store_failure) = await asyncio.gather(
            _bounded(self._stored_revisions(), self.timeout), _bounded(_ping(store), self.timeout)
        )
        schema = "not checked: the database did not answer"
        if database is None:
            # Loaded at the first probe, off the event loop: not on every process's start-up path.
            schema = schema_verdict(stored, await asyncio.to_thread(release_migrations))
        return {
            "database": database or OK,
            "migrations": schema,
            "rate_limit_store": f"{store.name}: {store_failure}" if store_failure else OK,
        }

    async def response(self, exclude_values: Sequence[str] = ()) -> Response:
        """200 when every check not excluded passes, 503 otherwise; 400 for an unknown exclusion."""
        try:
            exclude = excluded_checks(exclude_values)
        except ValueError as exc:
            details = [detail("enum", "/exclude", str(exc), {"allowedValues": list(EXCLUDABLE)})]
            return render(BadRequest(details, QUERY_ERROR))
        checks = await self.checks()
        failed = [name for name, result in checks.items() if result != OK and name not in exclude]
        body = {
            "status": "not ready" if failed else "ready",
            "failed": failed,
            "excluded": [name for name in checks if name in exclude],
            "checks": checks,
        }
        return json_response(503 if failed else 200, body)

    async def _stored_revisions(self) -> list[str] | None:
        """The revisions in `alembic_version`; None when the database answers without that table."""
        async with self.runtime.db.engine.connect() as connection:
            try:
                result = await connection.execute(text("SELECT version_num FROM alembic_version"))
            except DBAPIError as exc:
                if is_unreachable(exc):  # lost, not answered
                    raise
                return None
            return [str(row[0]) for row in result]

    @contextmanager
    def draining_on_stop_signals(self) -> Iterator[None]:
        """While inside, the server's own stop-signal handlers also set `draining` (in the main thread).

        The server (uvicorn) installs its handlers before the app starts and puts back the previous
        ones after it stopped; this wraps its handlers for the app's lifetime, so the first SIGTERM
        makes `/readyz` answer 503 while in-flight requests finish.
        """
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        wrapped = {sig: handler for sig in STOP_SIGNALS if callable(handler := signal.getsignal(sig))}
        ours = {sig: self._draining_then(handler) for sig, handler in wrapped.items()}
        for sig, handler in ours.items():
            signal.signal(sig, handler)
        try:
            yield
        finally:
            for sig, handler in ours.items():
                if signal.getsignal(sig) is handler:  # not replaced meanwhile by someone else
                    signal.signal(sig, wrapped[sig])

    def _draining_then(self, server_handler: Callable[[int, FrameType | None], Any]) -> Any:
        loop = asyncio.get_running_loop()

        def handle(signum: int, frame: FrameType | None) -> None:
            if not self.draining:
                self.draining = True
                # Logged from the loop, not from inside the signal handler.
                loop.call_soon_threadsafe(_log_draining, signal.Signals(signum).name)
            server_handler(signum, frame)

        return handle


def _log_draining(signal_name: str) -> None:
    log.info("%s received: draining, /readyz answers 503, in-flight requests finish", signal_name)


def excluded_checks(values: Sequence[str]) -> list[str]:
    """The `exclude` query values as check names (repeated or comma separated); ValueError when one
    names no check that can be excluded."""
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    unknown = sorted({name for name in names if name not in EXCLUDABLE})
    if unknown:
        raise ValueError(f"cannot exclude {', '.join(unknown)}: the checks are {', '.join(EXCLUDABLE)}")
    return names


async def _bounded(check: Awaitable[T], seconds: float) -> tuple[T | None, str | None]:
    """The check's value, or None and why it failed (timed out, or the kind of error)."""
    try:
        async with asyncio.timeout(seconds):
            return await check, None
    except TimeoutError:
        return None, f"no answer within {seconds:g} s"
    except Exception as exc:  # any failure of the dependency: the node is not ready, and says why
        name = type(exc).__name__
        # Connections refused or dropped (OSError, redis' ConnectionError), or any other error.
        unreachable = isinstance(exc, OSError) or "Connection" in name
        return None, f"{'unreachable' if unreachable else 'failed'} ({name})"


async def _ping(store: CounterStore) -> None:
    """One round trip to where the rate-limit counters live (nothing for process memory)."""
    if isinstance(store, DatabaseStore):
        async with store.engine.connect() as connection:
            await connection.execute(text("SELECT 1 FROM rate_limit_counters WHERE 1 = 0"))
    elif isinstance(store, LimitsStore) and not await store.storage.check():  # memory: always True
        raise ConnectionError(f"the {store.name} store did not answer its ping")
