"""A lost or refused database connection (PgBouncer or PostgreSQL restarting) is a 503 with Retry-After,
which clients and balancers may retry, and nothing of the request is written; the next request
gets a fresh connection. A connection lost during COMMIT stays a 500: its outcome is unknown."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from rentengine.app import create_app
from rentengine.db.session import CommitOutcomeUnknown, async_url
from rentengine.kit.unreachable import is_unreachable
from rentengine.properties.examples import CREATE_BODY
from rentengine.properties.models import MultifamilyProperty
from rentengine.runtime import Runtime
from tests.conftest import make_settings
from tests.databases import throwaway_database
from tests.factories import Tenant, make_tenant

BASE = "http://testserver/api/public/v1"


@pytest.fixture
async def pg_runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    async with throwaway_database("postgresql", tmp_path, prefix="rentengine_unreachable") as url:
        runtime = Runtime.build(make_settings(url))
        try:
            yield runtime
        finally:
            await runtime.close()


async def drop_every_connection(runtime: Runtime) -> int:
    """What a PgBouncer or PostgreSQL restart does to the pool: every server connection closed."""
    engine = create_async_engine(async_url(runtime.settings.database_url))
    try:
        async with engine.connect() as admin:
            dropped = await admin.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            await admin.commit()
    finally:
        await engine.dispose()
    return int(dropped or 0)


async def properties_of(runtime: Runtime, tenant: Tenant) -> int:
    async with runtime.db.transaction(writes=False) as session:
        query = select(func.count()).where(MultifamilyProperty.account_id == tenant.account_id)
        return int(await session.scalar(query) or 0)


def api_client(app: FastAPI) -> httpx.AsyncClient:
    # As over HTTP: the server's error middleware answers, then re-raises for the server to log.
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url=BASE
    )


async def create_property(client: httpx.AsyncClient, tenant: Tenant) -> httpx.Response:
    body = {**CREATE_BODY, "account_id": str(tenant.account_id)}
    return await client.post("/multifamily_properties", json=body, headers=tenant.headers)


async def test_a_dropped_connection_is_a_503_to_retry_and_writes_nothing(pg_runtime: Runtime) -> None:
    tenant = await make_tenant(pg_runtime)
    app = create_app(pg_runtime.settings, pg_runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url=BASE
    ) as client:
        assert (await client.get("/lockbox_events", headers=tenant.headers)).status_code == 200
        assert await drop_every_connection(pg_runtime) >= 1
        refused = await create_property(client, tenant)
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"] == "1"
        assert refused.json() == {"error": "Service unavailable, retry shortly"}
        assert "x-request-id" in refused.headers
        assert await properties_of(pg_runtime, tenant) == 0
        # The pool dropped its dead connections: the retry is served.
        retried = await create_property(client, tenant)
        assert retried.status_code == 200, retried.text
        assert await properties_of(pg_runtime, tenant) == 1


async def test_the_units_fast_lane_answers_a_dropped_connection_with_a_503(pg_runtime: Runtime) -> None:
    """`GET /units` pages are read on the driver's own connection, outside SQLAlchemy's error handling."""
    tenant = await make_tenant(pg_runtime)
    app = create_app(pg_runtime.settings, pg_runtime)
    async with api_client(app) as client:
        assert (await client.get("/units?limit=5", headers=tenant.headers)).status_code == 200
        assert await drop_every_connection(pg_runtime) >= 1
        refused = await client.get("/units?limit=5", headers=tenant.headers)
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"] == "1"
        # The dead connection left the pool: the retry is served.
        assert (await client.get("/units?limit=5", headers=tenant.headers)).status_code == 200


async def test_a_refused_connection_is_a_503(pg_runtime: Runtime, tmp_path: Path) -> None:
    tenant = await make_tenant(pg_runtime)
    # The same database through a port nothing listens on: a pooler that is down.
    closed = async_url(pg_runtime.settings.database_url).set(
        host="127.0.0.1", port=1, drivername="postgresql"
    )
    settings = make_settings(closed.render_as_string(hide_password=False))
    down = Runtime.build(settings)
    try:
        app = create_app(settings, down)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url=BASE
        ) as client:
            response = await client.get("/units?limit=5", headers=tenant.headers)
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] == "1"
            assert b"127.0.0.1" not in response.content
    finally:
        await down.close()


async def test_a_connection_lost_during_commit_is_not_called_retryable(pg_runtime: Runtime) -> None:
    async def commit_after_the_connection_is_gone() -> None:
        async with pg_runtime.db.transaction() as session:
            await session.execute(text("SELECT 1"))
            await drop_every_connection(pg_runtime)

    with pytest.raises(CommitOutcomeUnknown) as raised:
        await commit_after_the_connection_is_gone()
    assert is_unreachable(raised.value.__cause__ or raised.value)
    assert not is_unreachable(raised.value)


def test_only_connection_failures_count_as_unreachable() -> None:
    assert is_unreachable(ConnectionRefusedError(111, "refused"))
    assert is_unreachable(OSError("Multiple exceptions: [Errno 111] Connect call failed"))
    assert not is_unreachable(FileNotFoundError("no such file"))
    assert not is_unreachable(ValueError("bad"))
    assert not is_unreachable(RuntimeError("boom"))
