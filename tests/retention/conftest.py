"""Each retention test gets databases of its own: a purge deletes across every account, so it
must not reach the rows of tests that share the session's databases."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from rentengine.app import create_app
from rentengine.kit.clock import set_clock
from rentengine.runtime import Runtime
from tests.conftest import BACKENDS, make_settings
from tests.databases import throwaway_database

# The day the tests' old rows are written; purges run weeks later by the pinned clock.
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass
class Clock:
    """The application's clock, pinned and moved by hand."""

    now: datetime = T0

    def advance(self, by: timedelta) -> None:
        self.now += by


@pytest.fixture
def clock() -> Iterator[Clock]:
    pinned = Clock()
    set_clock(lambda: pinned.now)
    yield pinned
    set_clock(None)


@pytest.fixture(params=BACKENDS)
async def rt(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Runtime]:
    """A runtime on a freshly migrated database of each backend, dropped after the test."""
    async with throwaway_database(request.param, tmp_path, prefix="rentengine_retention") as url:
        runtime = Runtime.build(make_settings(url))
        try:
            yield runtime
        finally:
            await runtime.db.dispose()


@pytest.fixture
async def api(rt: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(rt.settings, rt))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/public/v1") as c:
        yield c
