"""Every operation refuses every kind of bad credential with 401, and writes nothing (API.md §3, §5)."""

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, make_url, select, text

from rentengine import API_PREFIX
from rentengine.app import create_app
from rentengine.auth.models import ApiKey, User
from rentengine.kit.clock import utc_now
from rentengine.runtime import Runtime
from tests.auth.support import (
    PUBLIC_PATHS,
    authenticated_operations,
    key_with_token,
    operations,
    revoke,
    send,
    snapshot,
    token_for,
)
from tests.conftest import TEST_SECRET
from tests.factories import Tenant, make_key

OTHER_SECRET = "another-deployments-secret-key-0123456789abcdef"
MakeClient = Callable[..., httpx.AsyncClient]
AuthorizationFor = Callable[[Runtime, Tenant], Awaitable[str | None]]


async def _fixed(value: str | None, *_: object) -> str | None:
    return value


async def _other_secret(runtime: Runtime, tenant: Tenant) -> str:
    token = await key_with_token(runtime, tenant, lambda kid: token_for(OTHER_SECRET, tenant.user_id, kid))
    return f"Bearer {token}"


async def _expired(runtime: Runtime, tenant: Tenant) -> str:
    long_ago = utc_now() - timedelta(days=36525 + 1)
    token = await key_with_token(
        runtime, tenant, lambda kid: token_for(TEST_SECRET, tenant.user_id, kid, issued_at=long_ago)
    )
    return f"Bearer {token}"


async def _unsigned(runtime: Runtime, tenant: Tenant) -> str:
    def make(kid: uuid.UUID) -> str:
        now = int(utc_now().timestamp())
        claims = {"sub": str(tenant.user_id), "jti": str(kid), "iat": now, "exp": now + 3600}
        return jwt.encode(claims, key="", algorithm="none")

    return f"Bearer {await key_with_token(runtime, tenant, make)}"


async def _claims_of_another_key(runtime: Runtime, tenant: Tenant) -> str:
    # Correctly signed, stored digest matches, but `jti` names the tenant's other key.
    an_hour_ago = utc_now() - timedelta(hours=1)
    token = await key_with_token(
        runtime, tenant, lambda _kid: token_for(TEST_SECRET, tenant.user_id, tenant.key_id, an_hour_ago)
    )
    return f"Bearer {token}"


async def _revoked(runtime: Runtime, tenant: Tenant) -> str:
    key_id, token = await make_key(runtime, tenant, "to revoke")
    await revoke(runtime, key_id)
    return f"Bearer {token}"


async def _basic_with_token(_runtime: Runtime, tenant: Tenant) -> str:
    return f"Basic {tenant.token}"


async def _token_without_scheme(_runtime: Runtime, tenant: Tenant) -> str:
    return tenant.token


async def _no_header(*_: object) -> None:
    return None


CASES: dict[str, AuthorizationFor] = {
    "no header": _no_header,
    "Bearer alone": lambda *a: _fixed("Bearer", *a),
    "Bearer and spaces": lambda *a: _fixed("Bearer   ", *a),
    "Basic x": lambda *a: _fixed("Basic x", *a),
    "Basic with a valid token": _basic_with_token,
    "token without scheme": _token_without_scheme,
    "garbage token": lambda *a: _fixed("Bearer not-a-token", *a),
    "three garbage segments": lambda *a: _fixed("Bearer aaa.bbb.ccc", *a),
    "signed with another secret": _other_secret,
    "expired": _expired,
    "alg none": _unsigned,
    "claims of another key": _claims_of_another_key,
    "revoked key": _revoked,
}


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime.settings, runtime)


def test_only_the_listings_feed_is_public(app: FastAPI) -> None:
    public = {op.path for op in operations(app)} - {op.path for op in authenticated_operations(app)}
    assert public <= PUBLIC_PATHS
    assert f"{API_PREFIX}/audit_log" in {op.path for op in authenticated_operations(app)}


@pytest.mark.parametrize("case", list(CASES))
async def test_every_operation_refuses_bad_credentials(
    case: str, app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    authorization = await CASES[case](runtime, tenant)
    headers = {"Authorization": authorization} if authorization is not None else {}
    before = await snapshot(runtime)
    for op in authenticated_operations(app):
        response = await send(client, app, op, tenant, headers)
        assert response.status_code == 401, f"{op}: {response.status_code} {response.text}"
        assert response.json() == {"error": "Unauthorized"}, op
        assert response.headers["www-authenticate"] == "Bearer", op
    assert await snapshot(runtime) == before


async def test_the_valid_token_passes_every_operation(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """The control for the matrix above: the same requests with the real token are not refused."""
    for op in authenticated_operations(app):
        response = await send(client, app, op, tenant, tenant.headers)
        assert response.status_code not in (401, 403, 405, 500), (
            f"{op}: {response.status_code} {response.text}"
        )


async def test_a_key_revoked_by_another_process_is_refused_within_the_cache_lifetime(
    make_client: MakeClient, runtime: Runtime, tenant: Tenant
) -> None:
    lifetime = 0.5
    key_id, token = await make_key(runtime, tenant, "short-lived")
    headers = {"Authorization": f"Bearer {token}"}
    async with make_client(verified_key_cache_seconds=lifetime) as client:
        assert (await client.get("/multifamily_properties", headers=headers)).status_code == 200
        await revoke(runtime, key_id)  # as the CLI does, from outside the serving process
        revoked_at = time.monotonic()
        statuses = []
        while time.monotonic() - revoked_at < lifetime + 0.3:
            statuses.append((await client.get("/multifamily_properties", headers=headers)).status_code)
            await asyncio.sleep(0.05)
        # Served from the cache for at most its lifetime, then refused for good.
        assert statuses[-1] == 401
        assert statuses == sorted(statuses, key=lambda status: status == 401)
        response = await client.get("/multifamily_properties", headers=headers)
        assert (response.status_code, response.json()) == (401, {"error": "Unauthorized"})
        # Revoking one key leaves the user's other keys working.
        assert (await client.get("/multifamily_properties", headers=tenant.headers)).status_code == 200


async def test_without_the_cache_a_revoked_key_fails_on_its_very_next_request(
    make_client: MakeClient, runtime: Runtime, tenant: Tenant
) -> None:
    key_id, token = await make_key(runtime, tenant, "short-lived")
    headers = {"Authorization": f"Bearer {token}"}
    async with make_client(verified_key_cache_seconds=0) as client:
        assert (await client.get("/multifamily_properties", headers=headers)).status_code == 200
        await revoke(runtime, key_id)
        assert (await client.get("/multifamily_properties", headers=headers)).status_code == 401


async def _delete_user_row_without_cascade(runtime: Runtime, user_id: uuid.UUID) -> None:
    """Removes a user's row the way a database tool could, leaving their keys behind."""
    if runtime.db.is_sqlite:
        path = make_url(runtime.settings.database_url).database
        assert path is not None
        with sqlite3.connect(path) as conn:  # foreign keys are off in a plain sqlite3 connection
            conn.execute("DELETE FROM users WHERE id = ?", (user_id.hex,))
    else:
        async with runtime.db.transaction() as session:
            await session.execute(text("SET LOCAL session_replication_role = replica"))
            await session.execute(delete(User).where(User.id == user_id))
    async with runtime.db.transaction(writes=False) as session:
        assert await session.scalar(select(ApiKey.id).where(ApiKey.user_id == user_id)) is not None


async def test_a_key_whose_user_row_is_gone_is_refused(
    make_client: MakeClient, runtime: Runtime, tenant: Tenant
) -> None:
    async with make_client(verified_key_cache_seconds=0) as client:
        assert (await client.get("/multifamily_properties", headers=tenant.headers)).status_code == 200
        await _delete_user_row_without_cascade(runtime, tenant.user_id)
        assert (await client.get("/multifamily_properties", headers=tenant.headers)).status_code == 401


async def test_the_scheme_is_case_insensitive(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = {"Authorization": f"bearer {tenant.token}"}
    assert (await client.get("/multifamily_properties", headers=headers)).status_code == 200
