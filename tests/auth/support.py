"""Route-wide helpers: every API operation of the app, a request that would write, a database snapshot.

Operations are read from `app.routes` (through FastAPI's `iter_route_contexts`, which resolves
included routers to their full paths), so endpoints added later are covered without editing tests.
"""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import select

from rentengine import API_PREFIX
from rentengine.auth import service as auth
from rentengine.auth.dependencies import current_principal
from rentengine.auth.models import ApiKey
from rentengine.auth.tokens import issue_token
from rentengine.kit.crypto import token_digest
from rentengine.models import Base
from rentengine.runtime import Runtime
from tests.factories import Tenant, property_body

BASE_URL = "http://testserver"
# Operations that the contract serves without a token (API.md §3).
PUBLIC_PATHS = frozenset({f"{API_PREFIX}/marketing/listings/{{accountId}}"})
# Bodies for operations whose OpenAPI document carries no request example yet.
FALLBACK_BODIES: dict[str, Callable[[Tenant], Any]] = {
    f"{API_PREFIX}/multifamily_properties": lambda t: property_body(t.account_id),
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    route: APIRoute

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def has_body(self) -> bool:
        return self.route.body_field is not None


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def requires_auth(route: APIRoute) -> bool:
    return current_principal in set(_calls(route.dependant))


def operations(app: FastAPI) -> list[Operation]:
    """Every (method, path) the app serves under the API prefix."""
    found = [
        Operation(method, context.path, context.original_route)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and context.path is not None
        and context.path.startswith(API_PREFIX + "/")
        for method in sorted(context.methods or ())
    ]
    assert found, "no API routes found"
    return found


def authenticated_operations(app: FastAPI) -> list[Operation]:
    return [op for op in operations(app) if requires_auth(op.route)]


def _path_value(route: APIRoute, name: str) -> str:
    [param] = [p for p in route.dependant.path_params if p.name == name or p.alias == name]
    annotation = param.field_info.annotation
    return "999999999" if annotation is int else str(uuid.uuid4())


def url_of(op: Operation) -> str:
    """The operation's URL with its path parameters filled in with well-formed unknown ids."""
    path = op.path
    for name in op.route.param_convertors:
        path = path.replace(f"{{{name}}}", _path_value(op.route, name))
    return BASE_URL + path


def _first_example(app: FastAPI, op: Operation) -> Any:
    paths = app.openapi()["paths"]
    # The document may list paths relative to its `/api/public/v1` server.
    item = paths.get(op.path) or paths.get(op.path.removeprefix(API_PREFIX)) or {}
    spec = item.get(op.method.lower(), {})
    content = spec.get("requestBody", {}).get("content", {}).get("application/json", {})
    if "example" in content:
        return content["example"]
    examples = content.get("examples") or {}
    return next(iter(examples.values()))["value"] if examples else None


def _with_account(value: Any, account_id: uuid.UUID) -> Any:
    """Points every account id in an example at the caller's account, so the request could write."""
    if isinstance(value, dict):
        return {
            k: str(account_id)
            if k.lower().endswith(("account_id", "accountid"))
            else _with_account(v, account_id)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_with_account(v, account_id) for v in value]
    return value


def body_for(app: FastAPI, op: Operation, tenant: Tenant) -> Any:
    if not op.has_body:
        return None
    example = _first_example(app, op)
    if example is not None:
        return _with_account(example, tenant.account_id)
    fallback = FALLBACK_BODIES.get(op.path)
    return fallback(tenant) if fallback is not None else {}


async def send(
    client: httpx.AsyncClient, app: FastAPI, op: Operation, tenant: Tenant, headers: dict[str, str]
) -> httpx.Response:
    body = body_for(app, op, tenant)
    if body is None:
        return await client.request(op.method, url_of(op), headers=headers)
    return await client.request(op.method, url_of(op), json=body, headers=headers)


def _plain(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else repr(value)


async def snapshot(runtime: Runtime, skip: frozenset[str] = frozenset()) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, as sortable text: equal snapshots mean nothing was written."""
    tables: dict[str, list[tuple[str, ...]]] = {}
    async with runtime.db.transaction(writes=False) as session:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = (await session.execute(select(table))).all()
            tables[table.name] = sorted(tuple(_plain(v) for v in row) for row in rows)
    return tables


async def all_text(runtime: Runtime) -> str:
    """Every value of every row of every table, rendered as text (to search for secrets)."""
    parts: list[str] = []
    async with runtime.db.transaction(writes=False) as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                parts.extend(str(v) if not isinstance(v, bytes) else v.decode("latin-1") for v in row)
    return "\n".join(parts)


async def key_with_token(runtime: Runtime, tenant: Tenant, make_token: Callable[[uuid.UUID], str]) -> str:
    """A key row of `tenant`'s user whose stored digest matches `make_token(key_id)`.

    The lookup by digest then succeeds, so only the token's own checks (signature, expiry, claims) can
    refuse it.
    """
    key_id = uuid.uuid4()
    token = make_token(key_id)
    async with runtime.db.transaction() as session:
        session.add(ApiKey(id=key_id, user_id=tenant.user_id, name="crafted", token_hash=token_digest(token)))
    return token


async def revoke(runtime: Runtime, key_id: uuid.UUID) -> None:
    """Revokes through the same service function the CLI uses."""
    async with runtime.db.transaction() as session:
        await auth.revoke_api_key(session, key_id)


async def key_row(runtime: Runtime, key_id: uuid.UUID) -> ApiKey:
    async with runtime.db.transaction(writes=False) as session:
        key = await session.get(ApiKey, key_id)
    assert key is not None
    return key


def token_for(secret: str, user_id: uuid.UUID, key_id: uuid.UUID, issued_at: datetime | None = None) -> str:
    return issue_token(secret, user_id, key_id, issued_at)
