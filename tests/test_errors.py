"""Error responses that apply to every operation (API.md §2, §4, §5): 404, 405, 400, 413 and 500.

Route-wide checks enumerate the app's operations, so endpoints added later are covered too.
"""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rentengine import API_PREFIX
from rentengine.app import create_app
from rentengine.properties import service as properties_service
from rentengine.runtime import Runtime
from tests.auth.support import BASE_URL, Operation, body_for, operations, snapshot, url_of
from tests.factories import Tenant, property_body

MIB = 1024 * 1024
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime.settings, runtime)


def _body_operations(app: FastAPI) -> list[Operation]:
    found = [op for op in operations(app) if op.has_body]
    assert found
    return found


def _json_bytes(app: FastAPI, op: Operation, tenant: Tenant) -> bytes:
    return httpx.Request("POST", BASE_URL, json=body_for(app, op, tenant)).read()


@pytest.mark.parametrize("authorized", [True, False])
@pytest.mark.parametrize(
    "path",
    ["/nope", f"{API_PREFIX}/nope", f"{API_PREFIX}/multifamily_properties/123", f"{API_PREFIX}", "/api"],
)
async def test_an_unknown_path_is_404(
    client: httpx.AsyncClient, tenant: Tenant, path: str, authorized: bool
) -> None:
    headers = tenant.headers if authorized else {}
    for method in METHODS:
        response = await client.request(method, BASE_URL + path, headers=headers)
        assert response.status_code == 404, (method, path)
        assert response.json() == {"error": "Not found"}


@pytest.mark.parametrize("authorized", [True, False])
async def test_a_known_path_with_another_method_is_405(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, authorized: bool
) -> None:
    headers = tenant.headers if authorized else {}
    # One URL per path: its methods are those of every operation on that path.
    served: dict[str, set[str]] = {}
    urls: dict[str, str] = {}
    for op in operations(app):
        served.setdefault(op.path, set()).add(op.method)
        urls.setdefault(op.path, url_of(op))
    before = await snapshot(runtime)
    for path, methods in served.items():
        url = urls[path]
        for method in sorted(set(METHODS) - methods):
            response = await client.request(method, url, json={}, headers=headers)
            assert response.status_code == 405, (method, url)
            assert response.json() == {"error": "Method not allowed"}
            assert set(response.headers["allow"].split(", ")) == methods, (method, url)
    assert await snapshot(runtime) == before


async def test_malformed_json_is_400_with_details_everywhere(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    headers = {**tenant.headers, "Content-Type": "application/json"}
    before = await snapshot(runtime)
    for op in _body_operations(app):
        valid = _json_bytes(app, op, tenant)
        for content in (valid[:-1], valid + b"}", b"{'single': 'quotes'}", b'{"a": "\xff"}', b"[" * 100_000):
            response = await client.request(op.method, url_of(op), content=content, headers=headers)
            assert response.status_code == 400, (str(op), content[:40])
            body = response.json()
            assert body["error"] == "Invalid request parameters"
            [item] = body["details"]
            assert item["keyword"] == "json"
            assert item["message"].startswith("body must be valid JSON")
    assert await snapshot(runtime) == before


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "json"],
)
async def test_a_body_that_is_not_declared_json_is_400(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: Tenant,
    content_type: str | None,
) -> None:
    headers = dict(tenant.headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    before = await snapshot(runtime)
    for op in _body_operations(app):
        # A body that would be accepted if it were sent as application/json.
        content = _json_bytes(app, op, tenant)
        response = await client.request(op.method, url_of(op), content=content, headers=headers)
        assert response.status_code == 400, (str(op), response.text)
        [item] = response.json()["details"]
        assert item["keyword"] == "contentType"
    assert await snapshot(runtime) == before


async def test_json_with_a_charset_or_a_json_suffix_is_accepted(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    content = httpx.Request("POST", BASE_URL, json=property_body(tenant.account_id)).read()
    for content_type in (
        "application/json; charset=utf-8",
        "application/merge-patch+json",
        "Application/JSON",
    ):
        headers = {**tenant.headers, "Content-Type": content_type}
        response = await client.post("/multifamily_properties", content=content, headers=headers)
        assert response.status_code == 200, content_type


def _padded(valid: bytes, size: int) -> bytes:
    """Valid JSON (trailing whitespace is allowed) that would be accepted if it were not too large."""
    return valid + b" " * (size - len(valid))


def _chunks(content: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(content), size):
        yield content[start : start + size]


async def _stream(content: bytes) -> AsyncIterator[bytes]:
    for chunk in _chunks(content):
        yield chunk


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_body_over_one_mebibyte_is_413(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, chunked: bool
) -> None:
    headers = {**tenant.headers, "Content-Type": "application/json"}
    before = await snapshot(runtime)
    for op in _body_operations(app):
        content = _padded(_json_bytes(app, op, tenant), MIB + 1)
        request = client.build_request(
            op.method, url_of(op), content=_stream(content) if chunked else content, headers=headers
        )
        assert ("content-length" in request.headers) is not chunked
        response = await client.send(request)
        assert response.status_code == 413, str(op)
        assert response.json() == {"error": "Request body too large"}
    assert await snapshot(runtime) == before


async def test_a_body_of_exactly_one_mebibyte_is_read(client: httpx.AsyncClient, tenant: Tenant) -> None:
    valid = httpx.Request("POST", BASE_URL, json=property_body(tenant.account_id)).read()
    headers = {**tenant.headers, "Content-Type": "application/json"}
    response = await client.post("/multifamily_properties", content=_padded(valid, MIB), headers=headers)
    assert response.status_code == 200


async def test_an_unexpected_exception_is_a_bare_500_and_writes_nothing(
    runtime: Runtime, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = properties_service.upsert_property

    async def write_then_fail(*args: Any, **kwargs: Any) -> Any:
        await original(*args, **kwargs)
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(properties_service, "upsert_property", write_then_fail)
    app = create_app(runtime.settings, runtime)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL + API_PREFIX) as client:
        # A first use sets the key's last_used_at, which the request below then leaves alone.
        assert (await client.get("/multifamily_properties", headers=tenant.headers)).status_code == 200
        before = await snapshot(runtime)
        response = await client.post(
            "/multifamily_properties", json=property_body(tenant.account_id), headers=tenant.headers
        )
    assert response.status_code == 500
    assert response.json() == {"error": "Internal server error"}
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert await snapshot(runtime) == before


async def test_each_detail_names_its_pointer_as_instance_path_and_as_data_path(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    # The vendor's examples show AJV v6's `dataPath`; a client written against them reads it.
    response = await client.get("/units", params={"limit": 1000}, headers=tenant.headers)
    assert response.status_code == 400
    [item] = response.json()["details"]
    assert item["instancePath"] == item["dataPath"] == "/limit"
    body = {"account_id": str(tenant.account_id), "community_name": 5}
    response = await client.post("/multifamily_properties", json=body, headers=tenant.headers)
    assert response.status_code == 400
    assert all(item["dataPath"] == item["instancePath"] for item in response.json()["details"])
    assert "/community_name" in [item["dataPath"] for item in response.json()["details"]]
