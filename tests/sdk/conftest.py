"""The SDK's fixtures: an app on the test's backend that allows loopback webhook targets, and an
`AsyncRentEngine` wired to it in-process."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from rentengine.app import create_app
from rentengine.runtime import Runtime
from rentengine_client import AsyncRentEngine
from tests.conftest import make_settings
from tests.factories import Tenant, make_tenant
from tests.sdk.scenario import RecordingClient

BASE_URL = "http://testserver/api/public/v1"
MakeSdk = Callable[..., AsyncRentEngine]


@pytest.fixture(scope="module")
async def sdk_runtime(database_url: str) -> AsyncIterator[Runtime]:
    runtime = Runtime.build(make_settings(database_url, webhook_allow_private_targets=True))
    yield runtime
    await runtime.db.dispose()


@pytest.fixture
async def owner(sdk_runtime: Runtime) -> Tenant:
    return await make_tenant(sdk_runtime)


@pytest.fixture
async def sdk(sdk_runtime: Runtime, owner: Tenant) -> AsyncIterator[RecordingClient]:
    app = create_app(sdk_runtime.settings, sdk_runtime)
    async with RecordingClient(
        owner.token, base_url=BASE_URL, transport=httpx.ASGITransport(app=app)
    ) as client:
        yield client


@pytest.fixture
async def make_sdk(database_url: str) -> AsyncIterator[MakeSdk]:
    """An `AsyncRentEngine` for an app built with other settings; `client_options` go to the client."""
    made: list[tuple[Runtime, AsyncRentEngine]] = []

    def build(token: str, client_options: dict[str, Any] | None = None, **settings: Any) -> AsyncRentEngine:
        runtime = Runtime.build(make_settings(database_url, **settings))
        transport = httpx.ASGITransport(app=create_app(runtime.settings, runtime))
        client = AsyncRentEngine(token, base_url=BASE_URL, transport=transport, **(client_options or {}))
        made.append((runtime, client))
        return client

    yield build
    for runtime, client in made:
        await client.aclose()
        await runtime.db.dispose()
