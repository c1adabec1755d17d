"""Migrations are reversible and leave the schema exactly as the models describe it."""

import asyncio
import uuid
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from rentengine.auth.ratelimit import DatabaseStore
from rentengine.db.migrate import downgrade, upgrade
from rentengine.db.session import create_engine
from rentengine.models import Base
from rentengine.runtime import Runtime
from tests.databases import throwaway_database


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _schema_differences(url: str) -> list[object]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_differences)
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade_matches_the_models(backend: str, tmp_path: Path) -> None:
    async with throwaway_database(backend, tmp_path, revision=None, prefix="rentengine_mig") as url:
        await asyncio.to_thread(upgrade, url)
        assert await _schema_differences(url) == []
        await asyncio.to_thread(downgrade, url, "base")
        await asyncio.to_thread(upgrade, url)
        assert await _schema_differences(url) == []


async def test_the_database_rate_limit_store_counts_in_its_table(runtime: Runtime, backend: str) -> None:
    store = DatabaseStore(runtime.db.engine)
    key = f"test:{uuid.uuid4()}"
    first, second = await store.incr(key, 60), await store.incr(key, 60)
    assert (first[0], second[0]) == (1, 2)
    assert first[1] == second[1]  # one window
    await store.decr(key)
    assert (await store.incr(key, 60))[0] == 2
    if backend == "postgresql":  # SQLite has no unlogged tables; the migration leaves it as it is
        async with runtime.db.transaction(writes=False) as session:
            persistence = await session.scalar(
                text("SELECT relpersistence::text FROM pg_class WHERE relname = 'rate_limit_counters'")
            )
        assert persistence == "u"  # a hit does not wait for a WAL flush
