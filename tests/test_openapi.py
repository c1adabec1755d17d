"""The OpenAPI document at /openapi.json and the reference page at /docs, read over HTTP.

Every test walks the operations of the served document instead of naming them, so endpoints added
later are held to the same rules as soon as they are mounted.
"""

import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from html import escape
from typing import Any

import httpx
import jsonschema_rs
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from rentengine.app import create_app
from rentengine.mock.examples import resolve
from rentengine.runtime import Runtime
from tests.factories import Tenant, property_body, unit_body
from tests.mock.conftest import example_query

METHODS = ("get", "put", "post", "patch", "delete")
ALWAYS = {"400", "401", "403", "404", "429"}
PUBLIC_PATHS = {"/marketing/listings/{accountId}"}
ACCOUNT_FIELDS = ("account_id", "accountId", "new_account_id", "account_ids")
# Anything the browser would fetch from elsewhere: src/href/action to another origin, CSS imports.
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//|@import|url\(""", re.I)
Operation = tuple[str, str, dict[str, Any]]


@pytest.fixture(scope="session")
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime.settings, runtime)


@pytest.fixture(scope="session")
async def root(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client at the server root, where /openapi.json and /docs live."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def document(root: httpx.AsyncClient) -> dict[str, Any]:
    response = await root.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations_of(document: dict[str, Any]) -> Iterator[Operation]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def validator(document: dict[str, Any], schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A 2020-12 validator for one schema of the document, resolving its `#/components/...` refs."""
    return jsonschema_rs.Draft202012Validator(
        {**schema, "components": document["components"]}, validate_formats=True
    )


def examples_of(media: dict[str, Any]) -> list[Any]:
    found = [example["value"] for example in media.get("examples", {}).values()]
    return found + ([media["example"]] if "example" in media else [])


def json_media(document: dict[str, Any], node: Any) -> dict[str, Any]:
    media: dict[str, Any] = resolve(document, node).get("content", {}).get("application/json", {})
    return media


def in_account(value: Any, account_id: uuid.UUID) -> Any:
    """An example body moved into the caller's account (the documented accounts are not ours)."""
    if isinstance(value, dict):
        return {
            k: str(account_id) if k in ACCOUNT_FIELDS else in_account(v, account_id) for k, v in value.items()
        }
    if isinstance(value, list):
        return [in_account(item, account_id) for item in value]
    return value


def fill_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


async def test_document_is_openapi_3_1_and_served_without_a_token(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    assert document["info"]["version"] == "1.1.1"
    # Relative first (where the document is served), then the deployment's public address.
    assert [server["url"] for server in document["servers"]] == [
        "/api/public/v1",
        "http://localhost:8000/api/public/v1",
    ]
    assert document["paths"], "no operations documented"
    assert all(not path.startswith("/api/public/v1") for path in document["paths"])


async def test_document_is_built_once(app: FastAPI, root: httpx.AsyncClient) -> None:
    first = await root.get("/openapi.json")
    second = await root.get("/openapi.json")
    assert first.content == second.content
    assert app.openapi() is app.openapi()


async def test_paths_work_relative_to_the_server(
    document: dict[str, Any], root: httpx.AsyncClient, tenant: Tenant
) -> None:
    server = document["servers"][0]["url"]
    for method, path, operation in operations_of(document):
        body: dict[str, Any] | None = {} if "requestBody" in operation else None
        # Required query parameters show an example; the accounts among them become the tenant's.
        query = in_account(example_query(operation), tenant.account_id)
        url = server + fill_path(path)
        response = await root.request(method, url, params=query, json=body, headers=tenant.headers)
        assert response.status_code in {int(status) for status in operation["responses"]}, (method, path)
        # A GET that names no record (no path parameter, no record id among its required query
        # parameters) must answer; one that names a made-up record may rightly be a 404.
        if method == "get" and "{" not in path and not _names_a_record(query):
            assert response.status_code == 200, (method, path, response.text)


def _names_a_record(query: dict[str, str]) -> bool:
    return any(name.lower().endswith("id") for name in query)


async def test_every_operation_needs_the_bearer_scheme(
    document: dict[str, Any], root: httpx.AsyncClient
) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes == {"BearerAuth": {**schemes["BearerAuth"], "type": "http", "scheme": "bearer"}}
    server = document["servers"][0]["url"]
    for method, path, operation in operations_of(document):
        response = await root.request(method, server + fill_path(path), json={} if method != "get" else None)
        if path in PUBLIC_PATHS:
            # The listings feed is public: its document says so, and it answers without a token.
            assert operation["security"] == [], (method, path)
            assert response.status_code != 401, (method, path)
            continue
        assert operation["security"] == [{"BearerAuth": []}], (method, path)
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"


async def test_every_operation_documents_its_errors_with_the_error_schema(document: dict[str, Any]) -> None:
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert set(error["properties"]) == {"error", "details"}
    detail = document["components"]["schemas"]["ErrorDetail"]
    assert set(detail["required"]) == {
        "keyword",
        "instancePath",
        "dataPath",
        "schemaPath",
        "params",
        "message",
    }
    for method, path, operation in operations_of(document):
        statuses = set(operation["responses"])
        assert statuses >= ALWAYS, (method, path)
        assert ("413" in statuses) == ("requestBody" in operation), (method, path)
        # Success and 304 Not Modified answers have no error body.
        for status in statuses - {"200", "201", "202", "204", "304"}:
            schema = json_media(document, operation["responses"][status])["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


async def test_conflicts_are_documented_exactly_where_routes_declare_them(
    app: FastAPI, document: dict[str, Any]
) -> None:
    declared = {
        (method.lower(), str(route.path_format).removeprefix("/api/public/v1"))
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute) and 409 in route.responses
        for method in route.methods or ()
    }
    assert declared, "no route declares a 409: this test would check nothing"
    documented = {(method, path) for method, path, op in operations_of(document) if "409" in op["responses"]}
    assert documented == declared


async def test_no_422_validation_error_anywhere(root: httpx.AsyncClient, document: dict[str, Any]) -> None:
    text = (await root.get("/openapi.json")).text
    assert "HTTPValidationError" not in text
    assert "ValidationError" not in text
    assert "Validation Error" not in text
    for method, path, operation in operations_of(document):
        assert "422" not in operation["responses"], (method, path)


async def test_operation_ids_are_unique_and_named_as_the_vendor_names_them(document: dict[str, Any]) -> None:
    ids = {(method, path): operation["operationId"] for method, path, operation in operations_of(document)}
    assert len(set(ids.values())) == len(ids)
    for (method, path), operation_id in ids.items():
        assert re.fullmatch(rf"{method.lower()}[A-Z][A-Za-z]*", operation_id), (method, path, operation_id)
    assert ids[("get", "/units")] == "getUnits"
    assert ids[("post", "/units")] == "postUnit"
    assert ids[("get", "/reporting/leasing-performance/units/{unitId}")] == "getUnitLeasingPerformance"


async def test_every_operation_has_examples_that_match_their_schemas(document: dict[str, Any]) -> None:
    for method, path, operation in operations_of(document):
        where = (method, path)
        if "requestBody" in operation:
            media = json_media(document, operation["requestBody"])
            assert examples_of(media), (*where, "request")
            check = validator(document, media["schema"])
            for example in examples_of(media):
                assert check.is_valid(example), (*where, list(check.iter_errors(example))[:1])
        # A 204 has no body, so there is nothing to exemplify; every other success must show one.
        success = [s for s in operation["responses"] if s.startswith("2") and s != "204"]
        if success:
            assert any(examples_of(json_media(document, operation["responses"][s])) for s in success), where
        else:
            assert "204" in operation["responses"], (*where, "no success response")
        for status, response in operation["responses"].items():
            media = json_media(document, response)
            if "schema" not in media:
                continue
            check = validator(document, media["schema"])
            for example in examples_of(media):
                assert check.is_valid(example), (*where, status, list(check.iter_errors(example))[:1])


async def test_request_examples_are_accepted_and_answered_as_documented(
    document: dict[str, Any], root: httpx.AsyncClient, tenant: Tenant
) -> None:
    server = document["servers"][0]["url"]
    for method, path, operation in operations_of(document):
        if "requestBody" not in operation:
            continue
        for example in examples_of(json_media(document, operation["requestBody"])):
            body = in_account(example, tenant.account_id)
            response = await root.request(method, server + fill_path(path), json=body, headers=tenant.headers)
            status = str(response.status_code)
            assert status in operation["responses"], (method, path, body, response.text)
            media = json_media(document, operation["responses"][status])
            assert validator(document, media["schema"]).is_valid(response.json()), (method, path, body)


async def test_the_official_create_example_creates_a_property(
    document: dict[str, Any], root: httpx.AsyncClient, tenant: Tenant
) -> None:
    media = json_media(document, document["paths"]["/multifamily_properties"]["post"]["requestBody"])
    body = in_account(media["examples"]["create"]["value"], tenant.account_id)
    response = await root.post("/api/public/v1/multifamily_properties", json=body, headers=tenant.headers)
    assert response.status_code == 200  # created or updated, as the hosted API answers
    [record] = response.json()
    documented = json_media(
        document, document["paths"]["/multifamily_properties"]["post"]["responses"]["200"]
    )
    assert set(record) == set(documented["examples"]["created"]["value"][0])
    assert {k: record[k] for k in body} == body


async def test_docs_page_lists_every_operation_without_external_requests(
    document: dict[str, Any], root: httpx.AsyncClient
) -> None:
    response = await root.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page = response.text
    for method, path, operation in operations_of(document):
        assert f"{method.upper()} {escape(path)}" in page, (method, path)
        assert f'id="op-{escape(operation["operationId"])}"' in page, (method, path)
    for name in document["components"]["schemas"]:
        assert f'id="schema-{escape(name)}"' in page
    assert "<script" not in page.lower()
    assert not EXTERNAL.search(page), EXTERNAL.search(page)


async def test_cdn_based_doc_pages_are_gone(root: httpx.AsyncClient) -> None:
    assert (await root.get("/redoc")).status_code == 404


async def test_every_instant_is_a_date_time(document: dict[str, Any]) -> None:
    instants = 0
    for name, schema in document["components"]["schemas"].items():
        for field, spec in schema.get("properties", {}).items():
            if field.endswith("_at") or field in ("planned_date_time", "next_follow_up"):
                strings = [b for b in [spec, *spec.get("anyOf", [])] if b.get("type") == "string"]
                assert strings, (name, field)
                assert all(b.get("format") == "date-time" for b in strings), (name, field)
                instants += 1
    assert instants > 30


async def test_comma_separated_arrays_are_declared_so(document: dict[str, Any]) -> None:
    arrays = [
        (path, parameter)
        for path, item in document["paths"].items()
        for operation in item.values()
        if isinstance(operation, dict)
        for parameter in operation.get("parameters", [])
        if "array" in json.dumps(parameter["schema"])
    ]
    assert len(arrays) >= 20
    for path, parameter in arrays:
        assert (parameter["style"], parameter["explode"]) == ("form", False), (path, parameter["name"])


def _body_schema(document: dict[str, Any], path: str) -> jsonschema_rs.Validator:
    media = json_media(document, document["paths"][path]["post"]["requestBody"])
    return validator(document, media["schema"])


async def test_a_code_names_its_lockbox_by_exactly_one_identifier(document: dict[str, Any]) -> None:
    check = _body_schema(document, "/lockboxes/generate_code")
    day = {"date": "2031-03-05"}
    assert check.is_valid({**day, "serial_number": "1234567"})
    assert check.is_valid({**day, "unit_id": 3318, "lockbox_id": None})
    assert not check.is_valid(day)
    assert not check.is_valid({**day, "serial_number": "1234567", "unit_id": 3318})


@pytest.mark.parametrize(
    ("path", "create", "known_id"),
    [
        ("/units", unit_body(uuid.UUID(int=1)), 3318),
        ("/multifamily_properties", property_body(uuid.UUID(int=1)), str(uuid.UUID(int=2))),
    ],
)
async def test_an_upsert_is_an_update_by_id_or_a_complete_create(
    document: dict[str, Any], path: str, create: dict[str, Any], known_id: Any
) -> None:
    check = _body_schema(document, path)
    assert check.is_valid(create)
    assert check.is_valid({"id": known_id})
    incomplete = {key: value for key, value in create.items() if key != "account_id"}
    assert not check.is_valid(incomplete)
    assert not check.is_valid({**incomplete, "id": None})
