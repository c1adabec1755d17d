"""Every operation refuses every kind of bad credential with 401, and writes nothing (API.md §3, §5)."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import jwt
import pytest
from fastapi import FastAPI

from rentengine.api import API_PREFIX
from rentengine.app import create_app
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
        return jwt.encode(claims, key=None, algorithm="none")

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


async def test_a_revoked_token_fails_on_its_very_next_request(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    key_id, token = await make_key(runtime, tenant, "short-lived")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/multifamily_properties", headers=headers)).status_code == 200
    await revoke(runtime, key_id)
    response = await client.get("/multifamily_properties", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized"}
    # Revoking one key leaves the user's other keys working.
    assert (await client.get("/multifamily_properties", headers=tenant.headers)).status_code == 200


async def test_the_scheme_is_case_insensitive(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = {"Authorization": f"bearer {tenant.token}"}
    assert (await client.get("/multifamily_properties", headers=headers)).status_code == 200
