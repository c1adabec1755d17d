"""Every node of a cluster runs `rentengine migrate` at its start: on a fresh database, one process
migrates and the others wait for it, then find nothing to do. All of them succeed, and the schema
is the models' schema at this release's head, recorded once."""

import asyncio
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from rentengine.db.session import create_engine
from rentengine.health import release_migrations
from rentengine.models import Base
from tests.databases import throwaway_database
from tests.servers import RENTENGINE, user_environment

NODES = 4
MIGRATE_SECONDS = 300  # four processes on a loaded two-core machine


async def migrate(database_url: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(RENTENGINE),
        "migrate",
        env=user_environment(database_url),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), MIGRATE_SECONDS)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


def _recorded_and_differences(connection: Connection) -> tuple[list[str], list[object]]:
    recorded = [str(row[0]) for row in connection.execute(text("SELECT version_num FROM alembic_version"))]
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return recorded, list(compare_metadata(context, Base.metadata))


async def test_four_migrate_commands_at_once_on_a_fresh_database_all_succeed(
    backend: str, tmp_path: Path
) -> None:
    async with throwaway_database(backend, tmp_path, revision=None, prefix="rentengine_race") as url:
        results = await asyncio.gather(*(migrate(url) for _ in range(NODES)))
        engine = create_engine(url, pool_size=1)
        try:
            async with engine.connect() as connection:
                recorded, differences = await connection.run_sync(_recorded_and_differences)
        finally:
            await engine.dispose()
    assert [code for code, _ in results] == [0] * NODES, [err for _, err in results]
    assert all(err.strip().endswith("database is up to date") for _, err in results), results
    assert recorded == [release_migrations().head]
    assert differences == []
