"""Fresh, empty databases for a run: a SQLite file, or a new PostgreSQL database dropped afterwards."""

import asyncio
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from sqlalchemy import inspect, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from rentengine.db.session import async_url

BACKENDS = ("sqlite", "postgresql")
POSTGRES_URL_VARIABLE = "RENTENGINE_TEST_POSTGRES_URL"
REDIS_URL_VARIABLE = "RENTENGINE_TEST_REDIS_URL"
REPO = Path(__file__).resolve().parent.parent


def postgres_admin_url(start: bool = False) -> str | None:
    """The server URL from the environment; with `start`, `scripts/postgres-up` provides one."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if url or not start:
        return url
    script = REPO / "scripts" / "postgres-up"
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=True)
    return result.stdout.strip()


def redis_url() -> str:
    """The Redis for the rate limiter's shared counters: from the environment, or `scripts/redis-up`."""
    url = os.environ.get(REDIS_URL_VARIABLE)
    if url:
        return url
    script = REPO / "scripts" / "redis-up"
    return subprocess.run(["bash", str(script)], capture_output=True, text=True, check=True).stdout.strip()


async def table_rows(database_url: str, table: str) -> list[tuple[object, ...]] | None:
    """Every row of `table`, sorted, or None when the database has no such table."""
    engine = create_async_engine(async_url(database_url))
    try:
        async with engine.connect() as conn:
            if not await conn.run_sync(lambda sync: inspect(sync).has_table(table)):
                return None
            return sorted(tuple(row) for row in await conn.execute(text(f"SELECT * FROM {table}")))
    finally:
        await engine.dispose()


async def admin_statement(admin_url: str, statement: str) -> None:
    engine = create_async_engine(async_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@asynccontextmanager
async def fresh_database(backend: str, workdir: Path, admin_url: str | None = None) -> AsyncIterator[str]:
    """The URL of an empty (not even migrated) database of `backend`."""
    name = f"rentengine_bench_{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        yield f"sqlite:///{workdir / name}.db"
        return
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend!r}")
    if admin_url is None:
        raise ValueError(f"PostgreSQL needs {POSTGRES_URL_VARIABLE} (or run scripts/postgres-up)")
    await admin_statement(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin_statement(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database(backend: str, workdir: Path, admin_url: str | None) -> Iterator[str]:
    """`fresh_database` for synchronous callers: the URL of an empty database, dropped at the end."""
    name = f"rentengine_bench_{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        yield f"sqlite:///{workdir / name}.db"
        return
    if admin_url is None:
        raise SystemExit(f"PostgreSQL needs {POSTGRES_URL_VARIABLE} (or run scripts/postgres-up)")
    asyncio.run(admin_statement(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin_statement(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
