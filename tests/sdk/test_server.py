"""`AsyncRentEngine` against the real app on both backends: every operation, pagination of both list
shapes across pages, a 429 retried after `Retry-After`, and errors raised with `error` and `details`."""

import time
import uuid

import pytest

from rentengine.runtime import Runtime
from rentengine_client import (
    OPERATIONS,
    AsyncRentEngine,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)
from tests.auth.support import revoke
from tests.communications.factories import PHONE, call_body
from tests.factories import Tenant, make_key, make_tenant
from tests.sdk.conftest import MakeSdk
from tests.sdk.scenario import RecordingClient, exercise, unit


async def test_every_operation(sdk: RecordingClient, owner: Tenant) -> None:
    await exercise(sdk, owner.account_id, owner.user_id)
    assert sdk.called == set(OPERATIONS)


async def test_array_lists_page_until_a_short_page(sdk: RecordingClient, owner: Tenant) -> None:
    ids = [(await sdk.units.upsert(unit(owner.account_id)))["id"] for _ in range(5)]
    pages: list[int] = []
    original = sdk._request

    async def counting(operation: str, **kwargs: object) -> object:
        pages.append(kwargs["params"]["page_number"])  # type: ignore[index]
        return await original(operation, **kwargs)

    sdk._request = counting  # type: ignore[method-assign]
    assert [u["id"] async for u in sdk.units.iter(accountId=str(owner.account_id), limit=2)] == ids
    assert pages == [0, 1, 2]
    pages.clear()
    exact = [u["id"] async for u in sdk.units.iter(accountId=str(owner.account_id), limit=5)]
    assert exact == ids
    assert pages == [0, 1]  # a full page, then an empty one


async def test_envelope_lists_page_by_has_more(sdk: RecordingClient, owner: Tenant) -> None:
    ids = [(await sdk.calls.create(call_body(owner.account_id)))["id"] for _ in range(5)]  # type: ignore[arg-type]
    first = await sdk.calls.list(account_ids=[str(owner.account_id)], phone_number=PHONE, limit=2)
    assert first["page"] == {"limit": 2, "page_number": 0, "has_more": True, "next_page_number": 1}
    assert [
        c["id"]
        async for c in sdk.calls.iter(account_ids=[str(owner.account_id)], phone_number=PHONE, limit=2)
    ] == ids
    assert [
        c["id"]
        async for c in sdk.calls.iter(account_ids=[str(owner.account_id)], phone_number=PHONE, limit=5)
    ] == ids


async def test_errors_carry_error_and_details(sdk: RecordingClient, owner: Tenant) -> None:
    with pytest.raises(BadRequestError) as bad:
        await sdk.units.upsert(unit(owner.account_id, status="Sold"))
    assert bad.value.status == 400
    assert bad.value.error == "Invalid request parameters"
    assert bad.value.details
    assert bad.value.details[0]["instancePath"] == "/status"
    with pytest.raises(BadRequestError) as query:
        await sdk.units.list(limit=0)
    assert query.value.error == "Invalid query parameters"
    with pytest.raises(PermissionDeniedError) as forbidden:
        await sdk.units.upsert(unit(uuid.uuid4()))
    assert forbidden.value.error == "Forbidden"
    with pytest.raises(NotFoundError):
        await sdk.webhooks.delete(str(uuid.uuid4()))


async def test_a_revoked_key_raises_401(sdk_runtime: Runtime, make_sdk: MakeSdk) -> None:
    tenant = await make_tenant(sdk_runtime)
    key_id, token = await make_key(sdk_runtime, tenant, "to revoke")
    # Revoked by the CLI, another process: no cached verification hides it.
    client = make_sdk(token, verified_key_cache_seconds=0)
    assert await client.units.list() == []
    await revoke(sdk_runtime, key_id)
    with pytest.raises(AuthenticationError) as unauthorized:
        await client.units.list()
    assert (unauthorized.value.status, unauthorized.value.error) == (401, "Unauthorized")
    assert unauthorized.value.response is not None
    assert unauthorized.value.response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_429_is_retried_after_retry_after(owner: Tenant, make_sdk: MakeSdk) -> None:
    client: AsyncRentEngine = make_sdk(owner.token, rate_limit="2/second")
    started = time.monotonic()
    for _ in range(4):
        assert await client.units.list() == []
    assert time.monotonic() - started >= 0.5  # the third request waited for the next window

    impatient = make_sdk(owner.token, {"max_retries": 0}, rate_limit="1/5seconds")
    await impatient.units.list()
    with pytest.raises(RateLimitedError) as limited:
        await impatient.units.list()
    assert limited.value.error == "Too many requests"
    assert limited.value.retry_after is not None
    assert 0 < limited.value.retry_after <= 5
