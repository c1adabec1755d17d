"""`/readyz`, as a load balancer sees it: 200 only while the database answers at this release's
schema and the rate-limit store answers; 503 naming the failed check otherwise, and while draining.

Each failure is made real: a database migrated to an older revision, a Redis server stopped, a
PostgreSQL address that accepts connections and never answers, a stop signal delivered to the
test process while the app runs.
"""

import asyncio
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from sqlalchemy import text

from rentengine.app import create_app
from rentengine.db.migrate import alembic_config, upgrade
from rentengine.health import CHECK_TIMEOUT_SECONDS, release_migrations
from rentengine.runtime import Runtime
from tests.conftest import make_settings
from tests.databases import throwaway_database
from tests.ports import free_port

HEAD = release_migrations().head
SECRET_WORDS = ("password", "postgresql://", "redis://", "127.0.0.1")


def previous_revision() -> str:
    """The revision before this release's head: the schema of a node that was not migrated yet."""
    down = ScriptDirectory.from_config(alembic_config("")).get_revision(HEAD).down_revision
    assert isinstance(down, str)
    return down


@asynccontextmanager
async def probe(database_url: str, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app built on `database_url` with `settings`, at the server's root."""
    async with app_on(database_url, **settings) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@asynccontextmanager
async def app_on(database_url: str, **settings: Any) -> AsyncIterator[FastAPI]:
    runtime = Runtime.build(make_settings(database_url, **settings))
    try:
        yield create_app(runtime.settings, runtime)
    finally:
        await runtime.close()


def assert_not_ready(response: httpx.Response, failed: list[str]) -> dict[str, str]:
    assert response.status_code == 503, response.text
    body = response.json()
    assert (body["status"], body["failed"]) == ("not ready", failed), body
    assert not any(word in response.text for word in SECRET_WORDS), response.text
    checks: dict[str, str] = body["checks"]
    return checks


async def test_ready_when_the_database_is_at_head_and_without_credentials(database_url: str) -> None:
    async with probe(database_url, rate_limit="2/minute") as client:
        # A balancer probes far more often than the API limit allows, and without a key.
        responses = [await client.get("/readyz") for _ in range(5)]
        document = (await client.get("/openapi.json")).json()
    for response in responses:
        assert response.status_code == 200, response.text
        assert "x-ratelimit-limit" not in response.headers
    assert responses[0].json() == {
        "status": "ready",
        "failed": [],
        "excluded": [],
        "checks": {"database": "ok", "migrations": "ok", "rate_limit_store": "ok"},
    }
    assert "/readyz" not in document["paths"]
    assert "/healthz" not in document["paths"]


async def test_ready_with_the_database_counting_the_rate_limit(database_url: str) -> None:
    async with probe(database_url, rate_limit="30/5seconds", rate_limit_storage="database") as client:
        response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["rate_limit_store"] == "ok"


async def test_an_older_schema_is_not_ready_until_migrated(backend: str, tmp_path: Path) -> None:
    older = previous_revision()
    async with throwaway_database(backend, tmp_path, older) as url, probe(url) as client:
        checks = assert_not_ready(await client.get("/readyz"), ["migrations"])
        assert checks["database"] == "ok"
        assert checks["migrations"] == (
            f"schema at revision {older}, this release needs {HEAD}: run `rentengine migrate`"
        )
        await asyncio.to_thread(upgrade, url)
        # The same process: the stored revision is read at every probe, the head once.
        assert (await client.get("/readyz")).status_code == 200


async def test_a_schema_migrated_by_a_newer_release_stays_ready(backend: str, tmp_path: Path) -> None:
    """A rolling upgrade migrates before the last old node stops; migrations only expand the schema
    the previous release runs on, so a revision this release does not know keeps it ready."""
    async with throwaway_database(backend, tmp_path) as url:
        newer = Runtime.build(make_settings(url))
        async with newer.db.transaction() as session:
            await session.execute(text("UPDATE alembic_version SET version_num = 'from_a_newer_release'"))
        await newer.close()
        async with probe(url) as client:
            response = await client.get("/readyz")
    assert response.status_code == 200, response.text


async def test_an_empty_database_is_not_ready(backend: str, tmp_path: Path) -> None:
    async with throwaway_database(backend, tmp_path, revision=None) as url, probe(url) as client:
        checks = assert_not_ready(await client.get("/readyz"), ["migrations"])
    assert checks["database"] == "ok"  # it answers, without a schema
    assert checks["migrations"] == "no schema version recorded: run `rentengine migrate`"


async def test_ready_with_redis_counting_the_rate_limit(database_url: str, redis_url: str) -> None:
    async with probe(database_url, rate_limit_storage=redis_url) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200, response.text


@contextmanager
def redis_server(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A redis-server of this test's own on a loopback port, without persistence."""
    binary = shutil.which("redis-server")
    assert binary is not None, "redis-server is needed (scripts/redis-up installs it)"
    command = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


async def ready_within(client: httpx.AsyncClient, seconds: float) -> httpx.Response:
    """The first 200 of a probe repeated for up to `seconds` (a server takes a moment to start)."""
    deadline = time.monotonic() + seconds
    response = await client.get("/readyz")
    for _ in range(int(seconds * 10)):
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
        response = await client.get("/readyz")
    return response


async def test_a_stopped_redis_makes_the_node_not_ready_until_it_is_back(
    database_url: str, redis_url: str
) -> None:
    port = free_port()
    async with probe(database_url, rate_limit_storage=f"redis://127.0.0.1:{port}/0") as client:
        with redis_server(port):
            assert (await ready_within(client, 10)).status_code == 200
        checks = assert_not_ready(await client.get("/readyz"), ["rate_limit_store"])
        assert checks["rate_limit_store"].startswith("redis: unreachable (")
        assert (checks["database"], checks["migrations"]) == ("ok", "ok")
        with redis_server(port):
            assert (await ready_within(client, 10)).status_code == 200


async def test_an_unreachable_redis_is_named(database_url: str, redis_url: str) -> None:
    nothing_listens = f"redis://:password@127.0.0.1:{free_port()}/0"
    async with probe(database_url, rate_limit_storage=nothing_listens) as client:
        checks = assert_not_ready(await client.get("/readyz"), ["rate_limit_store"])
    assert checks["rate_limit_store"].startswith("redis: unreachable (")


async def test_a_balancer_may_keep_nodes_in_rotation_while_their_shared_redis_is_down(
    database_url: str,
) -> None:
    nothing_listens = f"redis://127.0.0.1:{free_port()}/0"
    async with probe(database_url, rate_limit_storage=nothing_listens) as client:
        assert_not_ready(await client.get("/readyz"), ["rate_limit_store"])
        response = await client.get("/readyz?exclude=rate_limit_store")
        both = {"exclude": ["rate_limit_store", "database"]}
        repeated = await client.get("/readyz", params=both)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["failed"], body["excluded"]) == ("ready", [], ["rate_limit_store"])
    assert body["checks"]["rate_limit_store"].startswith("redis: unreachable (")  # still shown
    assert repeated.status_code == 200
    assert repeated.json()["excluded"] == ["database", "rate_limit_store"]


async def test_excluding_an_unknown_check_or_the_draining_is_a_400(database_url: str) -> None:
    async with probe(database_url) as client:
        for query in ("exclude=draining", "exclude=rate_limit", "exclude=database,bogus"):
            response = await client.get(f"/readyz?{query}")
            assert response.status_code == 400, (query, response.text)
            body = response.json()
            assert body["error"] == "Invalid query parameters"
            [item] = body["details"]
            assert item["instancePath"] == "/exclude"
            assert "database, migrations, rate_limit_store" in item["message"]


@asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """A loopback port that accepts connections and never answers: a hung database server."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for writer in held:
            writer.close()
        await server.wait_closed()


async def test_a_hung_database_gives_a_prompt_503_that_names_it() -> None:
    """PostgreSQL's address (a SQLite database is a local file: it cannot hang on the network)."""
    async with silent_server() as port:
        url = f"postgresql://rentengine:password@127.0.0.1:{port}/rentengine"
        async with probe(url) as client:
            started = time.monotonic()
            response = await client.get("/readyz")
            took = time.monotonic() - started
    checks = assert_not_ready(response, ["database", "migrations"])
    assert checks["database"] == f"no answer within {CHECK_TIMEOUT_SECONDS:g} s"
    assert CHECK_TIMEOUT_SECONDS <= took < CHECK_TIMEOUT_SECONDS + 2


async def test_a_refused_database_connection_is_named() -> None:
    url = f"postgresql://rentengine:password@127.0.0.1:{free_port()}/rentengine"
    async with probe(url) as client:
        checks = assert_not_ready(await client.get("/readyz"), ["database", "migrations"])
    assert checks["database"].startswith("unreachable (")


async def test_a_stop_signal_makes_the_running_app_answer_503_at_once(database_url: str) -> None:
    """Under `rentengine serve`, uvicorn's handler is the one in place; a stand-in plays its part."""
    delivered: list[int] = []

    def server_handler(signum: int, _frame: FrameType | None) -> None:
        delivered.append(signum)

    previous = signal.signal(signal.SIGTERM, server_handler)
    try:
        async with app_on(database_url) as app, app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                assert (await client.get("/readyz")).status_code == 200
                signal.raise_signal(signal.SIGTERM)
                await asyncio.sleep(0)  # the handler runs between bytecodes of the main thread
                checks = assert_not_ready(await client.get("/readyz"), ["draining"])
                every_dependency = "/readyz?exclude=database,migrations,rate_limit_store"
                assert_not_ready(await client.get(every_dependency), ["draining"])  # never excluded
                assert (await client.get("/healthz")).status_code == 200  # alive, only not ready
        assert signal.getsignal(signal.SIGTERM) is server_handler  # put back as found
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert delivered == [signal.SIGTERM]  # the server still got its signal
    assert checks == {"draining": "the process is shutting down after a stop signal"}
