"""Fixtures shared by the delivery tests; each module provides its own `hooks` runtime (a fresh
database per module, so that workers started there never see another module's deliveries)."""

from collections.abc import AsyncIterator

import pytest

from rentengine.runtime import Runtime
from tests.factories import Tenant, make_tenant
from tests.webhooks.receiver import Receiver, running_receiver


@pytest.fixture
async def owner(hooks: Runtime) -> Tenant:
    return await make_tenant(hooks)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as r:
        yield r
