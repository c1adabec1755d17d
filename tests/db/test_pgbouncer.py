"""PostgreSQL through a real PgBouncer in transaction pooling mode (`scripts/pgbouncer-up`).

Each transaction of a client connection may run on another server connection there. The URL's
`?pgbouncer=true` keeps nothing prepared from one transaction to the next, migrations take their
lock inside their own transaction, and the worker's LISTEN goes around PgBouncer (the direct URL).
"""

import asyncio
import json
import logging
import os
import re
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from pydantic import ValidationError
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.app import create_app
from rentengine.db.migrate import alembic_config, upgrade
from rentengine.db.session import POOLER_PARAMETER, Database, async_url, create_engine
from rentengine.runtime import Runtime
from rentengine.settings import Settings
from rentengine.webhooks.delivery.worker import LISTEN_APPLICATION_NAME, DeliveryWorker
from tests.conftest import TEST_SECRET, make_settings
from tests.databases import (
    create_pg_database,
    drop_pg_database,
    pgbouncer_url_or_skip,
    pooled_url,
    postgres_admin_url_or_skip,
)
from tests.factories import make_tenant, unit_body
from tests.webhooks.receiver import Receiver, running_receiver, running_worker, wait_until

RENTENGINE = Path(sys.executable).with_name("rentengine")
REPO = Path(__file__).resolve().parents[2]
# PgBouncer's server connections per database (default_pool_size in scripts/pgbouncer-up).
SERVER_POOL_SIZE = 20
PID = text("SELECT pg_backend_pid()")
MISSING_STATEMENT = re.compile(r"prepared statement \S+ (does not exist|already exists)")


@dataclass(frozen=True)
class Pooled:
    url: str  # through PgBouncer, `?pgbouncer=true`
    direct: str  # the same database on the server itself
    raw: str  # through PgBouncer, without the flag


@pytest.fixture
async def pooled() -> AsyncIterator[Pooled]:
    """An empty database of its own, created on the server directly, reached through PgBouncer."""
    admin = postgres_admin_url_or_skip()
    bouncer = pgbouncer_url_or_skip()
    name = f"rentengine_bouncer_{uuid.uuid4().hex[:8]}"
    await create_pg_database(admin, name)
    try:
        yield Pooled(
            url=pooled_url(bouncer, name),
            direct=make_url(admin).set(database=name).render_as_string(hide_password=False),
            raw=make_url(bouncer).set(database=name).render_as_string(hide_password=False),
        )
    finally:
        await drop_pg_database(admin, name)


@pytest.fixture
async def migrated(pooled: Pooled) -> Pooled:
    await asyncio.to_thread(upgrade, pooled.url)  # through PgBouncer too
    return pooled


# --- Settings -----------------------------------------------------------------------------------


POOLED = "postgresql://app:pw@pgbouncer:6432/db?pgbouncer=true"


@pytest.mark.parametrize(
    ("database_url", "direct_url", "message"),
    [
        (POOLED, "sqlite:///x.db", "for PostgreSQL behind a pooler"),
        (POOLED, POOLED, "PostgreSQL itself"),
        ("sqlite:///x.db", "postgresql://db/db", "only with a PostgreSQL RENTENGINE_DATABASE_URL"),
    ],
)
def test_a_direct_url_that_cannot_be_one_is_refused_at_start(
    database_url: str, direct_url: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(database_url=database_url, database_direct_url=direct_url)


def test_the_direct_url_defaults_to_the_database_url_and_takes_the_providers_spelling() -> None:
    assert Settings(database_url=POOLED).database_direct_url == ""
    given = Settings(database_url=POOLED, database_direct_url="postgres://app:pw@db:5432/db")
    assert given.database_direct_url == "postgresql://app:pw@db:5432/db"


def test_the_flag_takes_true_or_false_and_never_reaches_the_driver() -> None:
    assert async_url("postgresql://h/db?pgbouncer=true").query == {}
    assert async_url("postgresql://h/db?pgbouncer=false&ssl=require").query == {"ssl": "require"}
    with pytest.raises(ValueError, match="takes true or false"):
        async_url("postgresql://h/db?pgbouncer=yes")


# --- One client connection, moved to another server connection ----------------------------------


async def _run_on_two_server_connections(url: str, pooled: str) -> tuple[int, int, str]:
    """Runs the same statements in two transactions of one client connection (of an engine on `url`),
    the second on another server connection: other clients (through `pooled`) hold the first one in
    their transactions meanwhile. Returns both server pids and what the second transaction read."""
    engine = create_engine(url, pool_size=1)
    statement = text("SELECT relname FROM pg_class WHERE oid = :oid")
    try:
        async with engine.connect() as connection, AsyncExitStack() as holders:
            async with connection.begin():
                first = (await connection.execute(PID)).scalar_one()
                await connection.execute(statement, {"oid": 1259})
            for _ in range(SERVER_POOL_SIZE):
                if await _hold_a_server_connection(holders, pooled) == first:
                    break
            else:
                raise AssertionError("no other client got the first server connection")
            async with connection.begin():
                second = (await connection.execute(PID)).scalar_one()
                name = (await connection.execute(statement, {"oid": 1259})).scalar_one()
        return first, second, name
    finally:
        await engine.dispose()


async def _hold_a_server_connection(holders: AsyncExitStack, pooled: str) -> int:
    """A client of its own, in a transaction until `holders` closes; the pid of its server connection."""
    engine = create_engine(pooled, pool_size=1)
    holders.push_async_callback(engine.dispose)
    connection = await holders.enter_async_context(engine.connect())
    await holders.enter_async_context(connection.begin())
    pid: int = (await connection.execute(PID)).scalar_one()
    return pid


async def test_without_the_flag_a_statement_prepared_earlier_is_missing(pooled: Pooled) -> None:
    """What the flag is for: the default engine relies on statements another server connection holds."""
    with pytest.raises(DBAPIError, match=MISSING_STATEMENT):
        await _run_on_two_server_connections(pooled.raw, pooled.url)


async def test_with_the_flag_a_connection_moved_to_another_server_connection_runs_on(
    pooled: Pooled,
) -> None:
    first, second, name = await _run_on_two_server_connections(pooled.url, pooled.url)
    assert first != second
    assert name == "pg_class"


# --- Many transactions at once, from several processes -------------------------------------------

SCRATCH = "CREATE TABLE scratch (id serial PRIMARY KEY, worker text NOT NULL, n int NOT NULL, label text)"


async def load(url: str, worker: str, transactions: int, concurrency: int = 8) -> dict[str, object]:
    """`transactions` transactions of varied statements (each kind of parameter, one-off statement
    texts, executemany, RETURNING, an error rolled back), `concurrency` at a time on one pool.
    Returns the errors met and the rows this worker wrote."""
    db = Database(url, pool_size=concurrency)
    errors: list[str] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with gate:
            try:
                await _varied_transaction(db, worker, n)
            except Exception as error:  # every failure is reported, none stops the others
                errors.append(f"{type(error).__name__}: {error}")

    try:
        await asyncio.gather(*(one(n) for n in range(transactions)))
        async with db.transaction(writes=False) as session:
            stmt = text("SELECT count(*) FROM scratch WHERE worker = :worker")
            rows = (await session.execute(stmt, {"worker": worker})).scalar_one()
    finally:
        await db.dispose()
    return {"errors": errors, "rows": rows}


async def _varied_transaction(db: Database, worker: str, n: int) -> None:
    async with db.transaction() as session:
        insert = text("INSERT INTO scratch (worker, n, label) VALUES (:w, :n, :label) RETURNING id")
        row_id = (await session.execute(insert, {"w": worker, "n": n, "label": f"row {n}"})).scalar_one()
        read = text("SELECT n, label FROM scratch WHERE id = :id")
        assert tuple((await session.execute(read, {"id": row_id})).one()) == (n, f"row {n}")
        # A statement text of its own now and then: prepared once, never seen again.
        once = text(f"SELECT CAST(:x AS int) + {n % 50}, now(), CAST(:y AS text)")
        assert (await session.execute(once, {"x": n, "y": worker})).first() is not None
        # Two rows in one executemany, deleted again: the count at the end is one row per transaction.
        doomed = -1 - n
        await session.execute(
            text("INSERT INTO scratch (worker, n) VALUES (:w, :n)"),
            [{"w": worker, "n": doomed}, {"w": worker, "n": doomed}],
        )
        deleted = text("DELETE FROM scratch WHERE worker = :w AND n = :n RETURNING id")
        assert len((await session.execute(deleted, {"w": worker, "n": doomed})).all()) == 2
        if n % 10 == 0:
            await _fail_in_a_savepoint(session)


async def _fail_in_a_savepoint(session: AsyncSession) -> None:
    """A failed statement rolled back to its savepoint; the transaction goes on."""
    try:
        async with session.begin_nested():
            await session.execute(text("SELECT 1 / :zero"), {"zero": 0})
    except DBAPIError:
        return
    raise AssertionError("dividing by zero did not fail")


async def test_concurrent_transactions_of_several_processes_meet_no_statement_errors(
    migrated: Pooled,
) -> None:
    setup = Database(migrated.direct, pool_size=1)
    try:
        async with setup.transaction() as session:
            await session.execute(text(SCRATCH))
    finally:
        await setup.dispose()
    count = 100
    here = asyncio.create_task(load(migrated.url, "in-process", count))
    others = [_load_in_process_of_its_own(migrated.url, f"process-{i}", count) for i in range(2)]
    results = [await here, *await asyncio.gather(*others)]
    assert [r["errors"] for r in results] == [[], [], []]
    assert [r["rows"] for r in results] == [count] * 3


async def _load_in_process_of_its_own(url: str, worker: str, transactions: int) -> dict[str, object]:
    code = (
        "import asyncio, json, sys; from tests.db.test_pgbouncer import load; "
        "print(json.dumps(asyncio.run(load(sys.argv[1], sys.argv[2], int(sys.argv[3])))))"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, url, worker, str(transactions),
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    result: dict[str, object] = json.loads(out)
    return result


# --- Migrations ----------------------------------------------------------------------------------


async def test_concurrent_migrate_commands_through_pgbouncer_take_turns(pooled: Pooled) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RENTENGINE_")}
    environment |= {"RENTENGINE_DATABASE_URL": pooled.url, "RENTENGINE_SECRET_KEY": TEST_SECRET}

    async def migrate() -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            str(RENTENGINE), "migrate", env=environment, stderr=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        _, err = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode is not None
        return process.returncode, err.decode()

    results = await asyncio.gather(*(migrate() for _ in range(3)))
    assert [code for code, _ in results] == [0, 0, 0], [err for _, err in results]
    head = ScriptDirectory.from_config(alembic_config(pooled.url)).get_current_head()
    db = Database(pooled.direct, pool_size=1)
    try:
        async with db.transaction(writes=False) as session:
            versions = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalars()
            assert list(versions) == [head]
    finally:
        await db.dispose()


# --- The delivery worker -------------------------------------------------------------------------


async def test_a_commit_in_another_process_wakes_the_worker_through_notify(migrated: Pooled) -> None:
    """The API and the worker use PgBouncer; the LISTEN goes straight to the server. The worker's poll
    is two minutes away, so only the NOTIFY can bring the delivery within seconds."""
    settings = make_settings(
        migrated.url, database_direct_url=migrated.direct, webhook_allow_private_targets=True
    )
    worker_side = Runtime.build(settings)
    api_side = Runtime.build(settings)  # another process: its commits wake nobody in this one
    try:
        async with running_receiver() as receiver, _api(api_side) as api:
            tenant = await make_tenant(api_side)
            await _subscribe(api, tenant.headers, tenant.account_id, receiver)
            async with running_worker(settings, worker_side.db, poll_seconds=120) as worker:
                await wait_until(lambda: _listening(worker_side.db), "the worker's LISTEN connection")
                await wait_until(_idle(worker), "the worker to be idle")
                created = await api.post("/units", json=unit_body(tenant.account_id), headers=tenant.headers)
                assert created.status_code == 201, created.text
                (request,) = await receiver.wait_for(1, within=10)
        assert request.json()["record"]["id"] == created.json()["id"]
    finally:
        await api_side.db.dispose()
        await worker_side.db.dispose()


async def test_without_a_direct_url_the_worker_does_not_listen_through_pgbouncer(
    migrated: Pooled, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(migrated.url, database_direct_url="")
    assert POOLER_PARAMETER in migrated.url
    runtime = Runtime.build(settings)
    try:
        with caplog.at_level(logging.WARNING, logger="rentengine.webhooks.delivery.worker"):
            async with running_worker(settings, runtime.db) as worker:
                await wait_until(_idle(worker), "the worker to be idle")
        assert "set RENTENGINE_DATABASE_DIRECT_URL" in caplog.text
        assert not await _listening(runtime.db)
    finally:
        await runtime.db.dispose()


def _api(runtime: Runtime) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(runtime.settings, runtime))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver/api/public/v1")


async def _subscribe(
    api: httpx.AsyncClient, headers: dict[str, str], account_id: uuid.UUID, receiver: Receiver
) -> None:
    body = {
        "account_id": str(account_id),
        "url": receiver.url(),
        "tables": ["units"],
        "event_types": ["INSERT"],
    }
    response = await api.post("/webhooks", json=body, headers=headers)
    assert response.status_code == 201, response.text


async def _listening(db: Database) -> bool:
    async with db.transaction(writes=False) as session:
        stmt = text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = :name AND datname = current_database()"
        )
        return bool((await session.execute(stmt, {"name": LISTEN_APPLICATION_NAME})).scalar_one())


def _idle(worker: DeliveryWorker) -> Callable[[], Awaitable[bool]]:
    async def idle() -> bool:
        return worker.is_idle()

    return idle
