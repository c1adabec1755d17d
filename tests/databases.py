"""Throwaway databases for tests: a SQLite file, or a PostgreSQL database of its own on the server
given by RENTENGINE_TEST_POSTGRES_URL, migrated to a revision (or left empty) and dropped afterwards.

With RENTENGINE_TEST_THROUGH_PGBOUNCER=1 (`make test-pgbouncer`), a PostgreSQL database is created on
the server directly but handed out as reached through the PgBouncer of RENTENGINE_TEST_PGBOUNCER_URL
(transaction pooling, `scripts/pgbouncer-up`): the app, its migrations and the tests all go through it.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from rentengine.db.migrate import upgrade
from rentengine.db.session import POOLER_PARAMETER, async_url, behind_transaction_pooler


def postgres_admin_url() -> str | None:
    """The PostgreSQL server's URL from the environment (`make test` starts one), or None."""
    return os.environ.get("RENTENGINE_TEST_POSTGRES_URL")


def pgbouncer_url() -> str | None:
    """The URL of a PgBouncer in transaction mode before that server (`scripts/pgbouncer-up`), or None."""
    return os.environ.get("RENTENGINE_TEST_PGBOUNCER_URL")


def through_pgbouncer() -> bool:
    """Whether PostgreSQL databases are handed out as reached through PgBouncer."""
    return os.environ.get("RENTENGINE_TEST_THROUGH_PGBOUNCER") == "1"


def pgbouncer_url_or_skip() -> str:
    """PgBouncer's URL; without one the test is skipped, or failed under CI=true."""
    url = pgbouncer_url()
    if url is None:
        if os.environ.get("CI") == "true":
            pytest.fail("RENTENGINE_TEST_PGBOUNCER_URL is not set: PgBouncer tests cannot be skipped in CI")
        pytest.skip("PgBouncer not configured (set RENTENGINE_TEST_PGBOUNCER_URL, or run `make test`)")
    return url


def pooled_url(pgbouncer: str, name: str) -> str:
    """Database `name` reached through PgBouncer, the URL saying so (`?pgbouncer=true`)."""
    url = make_url(pgbouncer).set(database=name).update_query_dict({POOLER_PARAMETER: "true"})
    return url.render_as_string(hide_password=False)


def direct_url(database_url: str) -> str:
    """For a database handed out through PgBouncer, the same database on the server directly (the
    app's RENTENGINE_DATABASE_DIRECT_URL); "" for any other database (its URL is direct already)."""
    admin = postgres_admin_url()
    if admin is None or not behind_transaction_pooler(database_url):
        return ""
    return make_url(admin).set(database=make_url(database_url).database).render_as_string(hide_password=False)


def postgres_admin_url_or_skip() -> str:
    """The server's URL; without one the test is skipped, or failed under CI=true."""
    admin = postgres_admin_url()
    if admin is None:
        if os.environ.get("CI") == "true":
            pytest.fail("RENTENGINE_TEST_POSTGRES_URL is not set: PostgreSQL tests cannot be skipped in CI")
        pytest.skip("PostgreSQL not configured (set RENTENGINE_TEST_POSTGRES_URL, or run `make test`)")
    return admin


async def _admin_statements(admin_url: str, *statements: str) -> None:
    engine = create_async_engine(async_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def create_pg_database(admin_url: str, name: str) -> None:
    """Creates an empty database `name`, replacing any left over under that name."""
    await _admin_statements(
        admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
    )


async def drop_pg_database(admin_url: str, name: str) -> None:
    """Drops database `name`, closing its connections."""
    await _admin_statements(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def throwaway_database(
    backend: str, directory: Path, revision: str | None = "head", *, prefix: str = "rentengine_test"
) -> AsyncIterator[str]:
    """The URL of a new database of `backend` ("sqlite": a file in `directory`; "postgresql": a database
    on the test server, dropped on exit), migrated to `revision` (None: left empty).

    Without a PostgreSQL server configured, PostgreSQL skips the test (fails it under CI=true).
    """
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin: str | None = None
    if backend == "sqlite":
        url = f"sqlite:///{directory / name}.db"
    elif backend == "postgresql":
        admin = postgres_admin_url_or_skip()
        if through_pgbouncer():
            url = pooled_url(pgbouncer_url_or_skip(), name)
        else:
            url = make_url(admin).set(database=name).render_as_string(hide_password=False)
        await create_pg_database(admin, name)
    else:
        raise ValueError(f"unknown backend {backend!r}")
    try:
        if revision is not None:
            # Alembic drives its own event loop for the async engine, so it runs in a worker thread.
            await asyncio.to_thread(upgrade, url, revision)
        yield url
    finally:
        if admin is not None:
            await drop_pg_database(admin, name)
