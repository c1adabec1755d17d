"""Alembic environment: async engine, batch mode for SQLite, every table from rentengine.models."""

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from rentengine.db.session import WRITE_OPTION, create_engine
from rentengine.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# Several processes may start on a fresh database at once (`serve` migrates at start): on PostgreSQL an
# advisory lock makes them take turns, on SQLite the write lock taken by BEGIN IMMEDIATE does.
MIGRATION_LOCK_ID = 7_346_101


async def _run_async() -> None:
    engine = create_engine(config.attributes["database_url"], pool_size=1)
    try:
        async with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                await connection.execution_options(**{WRITE_OPTION: True})
            # Begun here, the transaction is the caller's to Alembic, which then runs every migration
            # inside it. Left to Alembic, SQLite (no transactional DDL) would commit after each
            # migration, dropping the write lock, and a second process could start the same upgrade.
            async with connection.begin():
                if connection.dialect.name == "postgresql":
                    # Held until this transaction ends, and taken in it before Alembic reads the
                    # current revision: the next process reads it once this one has committed. Being
                    # transaction-scoped, it also holds through a pooler in transaction mode, where a
                    # session-level lock would stay on a server connection other clients then use.
                    await connection.execute(
                        text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID}
                    )
                await connection.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `rentengine migrate`")
asyncio.run(_run_async())
