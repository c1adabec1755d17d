"""Pool policies: a task never holds two pooled connections; idle PostgreSQL connections are checked."""

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from rentengine.db.poolguard import SecondConnectionRefused, ping_connections_idle_for
from rentengine.db.session import async_url
from rentengine.runtime import Runtime
from tests.databases import postgres_admin_url


async def test_a_second_connection_in_the_same_task_is_refused_at_once(runtime: Runtime) -> None:
    async with runtime.db.transaction(writes=False) as outer:
        await outer.execute(text("SELECT 1"))
        with pytest.raises(SecondConnectionRefused):
            async with runtime.db.transaction(writes=False) as inner:
                await inner.execute(text("SELECT 1"))
        # The refused checkout gave its connection back: the first transaction goes on.
        assert (await outer.execute(text("SELECT 2"))).scalar() == 2


async def test_other_tasks_each_get_their_own_connection(runtime: Runtime) -> None:
    async def one() -> int:
        async with runtime.db.transaction(writes=False) as session:
            await asyncio.sleep(0.01)
            return int((await session.execute(text("SELECT 1"))).scalar_one())

    async with runtime.db.transaction(writes=False) as outer:
        await outer.execute(text("SELECT 1"))
        assert await asyncio.gather(*(asyncio.create_task(one()) for _ in range(5))) == [1] * 5


async def test_an_idle_connection_closed_by_the_server_is_replaced() -> None:
    admin = postgres_admin_url()
    assert admin is not None, "RENTENGINE_TEST_POSTGRES_URL is needed (make test starts PostgreSQL)"
    engine = create_async_engine(async_url(admin), pool_size=1, max_overflow=0)
    ping_connections_idle_for(engine, 0.0)  # every idle connection is checked
    killer = create_async_engine(async_url(admin), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with killer.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        async with engine.connect() as connection:
            again = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert again != pid
    finally:
        await engine.dispose()
        await killer.dispose()
