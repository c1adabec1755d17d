"""Shared fixtures: every test runs against SQLite and PostgreSQL, migrated once per run.

Tests isolate themselves by tenancy: each creates its own account, user and key, and every list is
scoped to the caller's accounts, so tests never see each other's rows while still exercising real
commits (which the "nothing is written on failure" tests need).
"""

import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url

from rentengine.app import create_app
from rentengine.runtime import Runtime
from rentengine.settings import Settings
from tests.databases import direct_url, throwaway_database
from tests.factories import Tenant, make_tenant

# Fixtures shared by the browser tests of several packages (`chromium`).
pytest_plugins = ["tests.browser"]

BACKENDS = ("sqlite", "postgresql")
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture(scope="session")
def tmp_root() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="rentengine-tests-") as root:
        yield Path(root)


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_root: Path) -> AsyncIterator[str]:
    """A freshly migrated database of each backend, shared by the whole run."""
    async with throwaway_database(request.param, tmp_root) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis for the shared rate-limit store (`make test` starts one with scripts/redis-up)."""
    url = os.environ.get("RENTENGINE_TEST_REDIS_URL")
    if url is None:
        if os.environ.get("CI") == "true":
            pytest.fail("RENTENGINE_TEST_REDIS_URL is not set: Redis tests cannot be skipped in CI")
        pytest.skip("Redis not configured (set RENTENGINE_TEST_REDIS_URL, or run `make test`)")
    return url


@pytest.fixture(scope="session")
def backend(database_url: str) -> str:
    return make_url(database_url).get_backend_name()


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        # Through PgBouncer (`make test-pgbouncer`), what needs a session of its own goes around it.
        "database_direct_url": direct_url(database_url),
        "secret_key": TEST_SECRET,
        "rate_limit": "off",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
async def runtime(database_url: str) -> AsyncIterator[Runtime]:
    rt = Runtime.build(make_settings(database_url))
    yield rt
    await rt.db.dispose()


@pytest.fixture(scope="session")
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime.settings, runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/public/v1") as c:
        yield c


@pytest.fixture
async def tenant(runtime: Runtime) -> Tenant:
    """A fresh account with one user and one API key."""
    return await make_tenant(runtime)


@pytest.fixture
async def make_client(database_url: str) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """A client for an app built with other settings (e.g. the rate limit switched on)."""
    made: list[Runtime] = []

    def build(**overrides: Any) -> httpx.AsyncClient:
        rt = Runtime.build(make_settings(database_url, **overrides))
        made.append(rt)
        transport = httpx.ASGITransport(app=create_app(rt.settings, rt))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver/api/public/v1")

    yield build
    for rt in made:
        await rt.db.dispose()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true a skipped test is a failure: every test must really run there."""
    if os.environ.get("CI") != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter is not None else 0
    if skipped:
        print(f"\nCI=true: {skipped} test(s) were skipped; skipped tests fail the run")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
