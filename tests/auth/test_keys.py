"""API key storage and bookkeeping: only a SHA-256 digest is stored; `last_used_at` follows use."""

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from rentengine.kit import clock
from rentengine.runtime import Runtime
from tests.auth.support import all_text, key_row
from tests.factories import Tenant, make_key, property_body


@pytest.fixture
def pinned_clock() -> Iterator[list[datetime]]:
    """The app's clock, pinned to the first item of the returned list (tests move it)."""
    now = [datetime.now(UTC)]
    clock.set_clock(lambda: now[0])
    yield now
    clock.set_clock(None)


async def test_no_token_is_stored_in_clear(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    # Use the key for a write so that every place a request can leave a trace (audit entries,
    # rate-limit counters, last_used_at) has had the chance to record it.
    response = await client.post(
        "/multifamily_properties", json=property_body(tenant.account_id), headers=tenant.headers
    )
    assert response.status_code == 200
    _, second_token = await make_key(runtime, tenant)
    stored = await all_text(runtime)
    for token in (tenant.token, second_token):
        assert token not in stored
        # Nor the signature part alone, which is what makes the token secret.
        assert token.rsplit(".", 1)[1] not in stored
    key = await key_row(runtime, tenant.key_id)
    assert key.token_hash == hashlib.sha256(tenant.token.encode()).hexdigest()


async def test_last_used_at_is_set_on_first_use(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    assert (await key_row(runtime, tenant.key_id)).last_used_at is None
    before = datetime.now(UTC)
    assert (await client.get("/multifamily_properties", headers=tenant.headers)).status_code == 200
    used = (await key_row(runtime, tenant.key_id)).last_used_at
    assert used is not None
    assert before - timedelta(seconds=1) <= used <= datetime.now(UTC)


async def test_last_used_at_is_refreshed_at_most_once_a_minute(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, pinned_clock: list[datetime]
) -> None:
    start = pinned_clock[0]
    await client.get("/multifamily_properties", headers=tenant.headers)
    assert (await key_row(runtime, tenant.key_id)).last_used_at == start

    pinned_clock[0] = start + timedelta(seconds=59)
    await client.get("/multifamily_properties", headers=tenant.headers)
    assert (await key_row(runtime, tenant.key_id)).last_used_at == start

    pinned_clock[0] = start + timedelta(minutes=1, seconds=1)
    await client.get("/multifamily_properties", headers=tenant.headers)
    assert (await key_row(runtime, tenant.key_id)).last_used_at == pinned_clock[0]


async def test_a_refused_request_does_not_touch_last_used_at(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    # A request that fails authentication for another key must not mark this one as used.
    await client.get("/multifamily_properties", headers={"Authorization": f"Bearer {tenant.token}x"})
    assert (await key_row(runtime, tenant.key_id)).last_used_at is None
