"""Applies Alembic migrations programmatically (used by `serve`, `migrate` and the tests)."""

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Alembic is imported when a migration runs, not by every command that imports this
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrates to `revision`; to "head" leaves alone a schema a newer release migrated (see below)."""
    from alembic import command
    from alembic.script import ScriptDirectory

    config = alembic_config(database_url)
    if revision == "head":
        known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
        newer = [stored for stored in stored_revisions(database_url) if stored not in known]
        if newer:
            # A rolling upgrade: a node of the next release migrated, and this node of the release
            # before (re)starts. The next release's migrations only expand the schema this release
            # runs on (docs/operations.md), so it starts; Alembic would refuse the unknown revision.
            log.warning("the database schema is at %s, newer than this release's: left as it is", newer[0])
            return
    command.upgrade(config, revision)


def stored_revisions(database_url: str) -> list[str]:
    """The revisions in `alembic_version`; none before the first migration."""
    from sqlalchemy import inspect, text

    from rentengine.db.session import create_engine

    async def read() -> list[str]:
        engine = create_engine(database_url, pool_size=1)
        try:
            async with engine.connect() as connection:
                if not await connection.run_sync(lambda sync: inspect(sync).has_table("alembic_version")):
                    return []
                rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
                return [str(row[0]) for row in rows]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def downgrade(database_url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str) -> None:
    # Alembic drives its own event loop for the async engine, so it runs in a worker thread.
    await asyncio.to_thread(upgrade, database_url)
