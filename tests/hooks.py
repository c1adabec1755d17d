"""Fixtures for a domain's webhook tests: deliveries received by a real local receiver.

Each test module gets a database of its own (as in tests/webhooks), so that the worker started
there never sees another module's deliveries; whatever is still due after the module is cancelled.
A domain's conftest (or test module) imports `hooks`, `hooks_api` and `receiver` to use them.
"""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from rentengine.app import create_app
from rentengine.runtime import Runtime
from tests.conftest import make_settings
from tests.webhooks.receiver import Receiver, cancel_open_deliveries, fresh_database, running_receiver


@pytest.fixture(scope="module")
async def hooks(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Runtime]:
    async with fresh_database(backend, tmp_path_factory.mktemp("hooks")) as url:
        runtime = Runtime.build(make_settings(url, webhook_allow_private_targets=True))
        try:
            yield runtime
        finally:
            await cancel_open_deliveries(runtime.db)
            await runtime.db.dispose()


@pytest.fixture(scope="module")
async def hooks_api(hooks: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(hooks.settings, hooks))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/public/v1") as client:
        yield client


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as r:
        yield r


async def subscribe(api: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(
        "/webhooks", json={"event_types": ["INSERT", "UPDATE"], **body}, headers=headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created
