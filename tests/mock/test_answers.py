"""Every operation of the document answers its documented example, and every documented status is
reachable with `Prefer: code`. The operations are read from the document, never listed by hand."""

import random
from typing import Any

import httpx
import orjson
import pytest

from rentengine.mock.dynamic import generate
from rentengine.mock.examples import resolve
from tests.mock.conftest import (
    TOKEN,
    concrete_url,
    default_example,
    example_query,
    json_media,
    operations,
    request_body,
    success_status,
    validator,
)

# API.md §7.4, copied from the official docs.
OFFICIAL_QUERY = (
    "/multifamily_properties?account_id=4b88ff32-8ba0-4bbf-8e60-c789909ac176"
    "&id=123e4567-e89b-12d3-a456-426614174000&deleted=false"
)
OFFICIAL_LIST = [
    {
        "id": "123e4567-e89b-12d3-a456-426614174000",
        "community_name": "Sunset Towers",
        "building_count": 3,
        "unit_count": 75,
        "description": "Luxury apartment community with amenities",
        "structure_type": "Mid Rise",
        "year_built": 2008,
        "photos": [{"path": "https://example.com/images/sunset-towers.jpg", "hidden": False}],
        "external_ids": {},
        "text_address": "123 Main St, San Francisco, CA 94111",
        "account_id": "4b88ff32-8ba0-4bbf-8e60-c789909ac176",
        "created_at": "2023-01-15T12:00:00Z",
        "updated_at": "2023-01-16T14:30:00Z",
    }
]
OFFICIAL_POST = {
    "community_name": "Sunset Towers",
    "building_count": 3,
    "unit_count": 75,
    "description": "Luxury apartment community with amenities",
    "structure_type": "Mid Rise",
    "year_built": 2008,
    "photos": [{"path": "https://example.com/images/sunset-towers.jpg", "hidden": False}],
    "text_address": "123 Main St, San Francisco, CA 94111",
    "account_id": "4b88ff32-8ba0-4bbf-8e60-c789909ac176",
}


async def call(
    mock: httpx.AsyncClient, document: dict[str, Any], method: str, path: str, op: dict[str, Any], **kw: Any
) -> httpx.Response:
    body = request_body(op)
    extra = {"json": body} if body is not None else {}
    url = concrete_url(document, path, op)
    return await mock.request(method, url, params=example_query(op), **extra, **kw)


def check_body(document: dict[str, Any], response: httpx.Response, media: dict[str, Any]) -> Any:
    body = orjson.loads(response.content)
    errors = [e.message for e in validator(document, media["schema"]).iter_errors(body)]
    assert errors == [], (response.request.url, errors)
    return body


async def test_every_operation_answers_its_documented_example(
    mock: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    seen = 0
    for method, path, op in operations(document):
        status = success_status(op)
        response = await call(mock, document, method, path, op, headers=TOKEN)
        assert response.status_code == int(status), (method, path, response.text)
        media = json_media(document, op["responses"][status])
        if not media:
            assert response.content == b""
        else:
            assert check_body(document, response, media) == default_example(media), (method, path)
        assert not any(h.lower().startswith("x-ratelimit") for h in response.headers)
        seen += 1
    assert seen >= 15


async def test_official_examples_verbatim(mock: httpx.AsyncClient) -> None:
    listed = await mock.get(OFFICIAL_QUERY, headers=TOKEN)
    assert listed.status_code == 200
    assert listed.json() == OFFICIAL_LIST
    created = await mock.post("/multifamily_properties", json=OFFICIAL_POST, headers=TOKEN)
    assert created.status_code == 200
    [record] = created.json()
    assert {k: v for k, v in record.items() if k in OFFICIAL_LIST[0]} == OFFICIAL_LIST[0]


async def test_the_values_the_official_docs_publish(mock: httpx.AsyncClient) -> None:
    """Lockbox serial 1234567, code 1234, unit 3318 at street number 957: what the hosted mock answers."""
    lockbox = (await mock.get("/lockboxes", headers=TOKEN)).json()[0]
    assert lockbox["serial_number"] == "1234567"
    code = await mock.post(
        "/lockboxes/generate_code", json={"serial_number": "1234567", "date": "2024-10-05"}, headers=TOKEN
    )
    assert code.status_code == 200
    assert code.json()["code"] == "1234"
    [unit] = (await mock.get("/units", headers=TOKEN)).json()
    assert unit["id"] == 3318
    assert unit["address"]["street_number"] == "957"


async def test_every_documented_status_is_reachable_with_prefer_code(
    mock: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    for method, path, op in operations(document):
        for status, declared in op["responses"].items():
            headers = {**TOKEN, "Prefer": f"code={status}"}
            # No body at all: with `Prefer: code` the body is not validated.
            response = await mock.request(method, concrete_url(document, path, op), headers=headers)
            assert response.status_code == int(status), (method, path, status, response.text)
            media = json_media(document, declared)
            if media:
                body = check_body(document, response, media)
                if "example" in media or "examples" in media:
                    assert body == default_example(media)
            for name, header in resolve(document, declared).get("headers", {}).items():
                if resolve(document, header).get("required"):
                    assert name in response.headers, (method, path, status, name)


async def test_prefer_code_401_needs_no_token_and_others_do(mock: httpx.AsyncClient) -> None:
    plain = await mock.get("/units", headers={"Prefer": "code=200"})
    assert (plain.status_code, plain.json()) == (401, {"error": "Unauthorized"})
    asked = await mock.get("/units", headers={"Prefer": "code=401"})
    assert asked.status_code == 401
    assert asked.headers["WWW-Authenticate"] == "Bearer"
    assert asked.json() == {"error": "Unauthorized"}


async def test_undocumented_code_and_unknown_example_are_refused(mock: httpx.AsyncClient) -> None:
    for prefer, name in (("code=418", "code"), ("code=abc", "code"), ("example=nonexistent", "example")):
        response = await mock.get("/units", headers={**TOKEN, "Prefer": prefer})
        assert response.status_code == 400, prefer
        body = response.json()
        assert set(body) == {"error", "details"}
        [item] = body["details"]
        assert item["instancePath"] == f"/{name}"
        assert item["keyword"] == "enum"
    listed = (await mock.get("/units", headers={**TOKEN, "Prefer": "code=418"})).json()
    assert "200" in listed["details"][0]["params"]["allowedValues"]


async def test_prefer_code_on_an_unknown_path_or_method_is_404_or_405(mock: httpx.AsyncClient) -> None:
    unknown = await mock.get("/nothing_here", headers={**TOKEN, "Prefer": "code=200"})
    assert (unknown.status_code, unknown.json()) == (404, {"error": "Not found"})
    wrong = await mock.put("/units", headers={**TOKEN, "Prefer": "code=200"})
    assert (wrong.status_code, wrong.json()) == (405, {"error": "Method not allowed"})


async def test_named_examples_are_selectable(mock: httpx.AsyncClient, document: dict[str, Any]) -> None:
    picked = 0
    for method, path, op in operations(document):
        for status, declared in op["responses"].items():
            for name, example in json_media(document, declared).get("examples", {}).items():
                headers = {**TOKEN, "Prefer": f"code={status}, example={name}"}
                response = await mock.request(method, concrete_url(document, path, op), headers=headers)
                assert response.status_code == int(status)
                assert response.json() == resolve(document, example)["value"], (method, path, name)
                picked += 1
    assert picked > 0
    query = await mock.get("/units?limit=5", headers={**TOKEN, "Prefer": "code=400; x=y, example=query"})
    assert query.json()["error"] == "Invalid query parameters"


@pytest.mark.parametrize("seed", range(5))
def test_dynamic_bodies_match_the_schemas(document: dict[str, Any], seed: int) -> None:
    for method, path, op in operations(document):
        for status, declared in op["responses"].items():
            media = json_media(document, declared)
            if "schema" not in media:
                continue
            value = generate(document, media["schema"], random.Random(seed))
            errors = [e.message for e in validator(document, media["schema"]).iter_errors(value)]
            assert errors == [], (method, path, status, seed, value, errors)


async def test_prefer_dynamic_answers_valid_varying_data(
    mock: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    for method, path, op in operations(document):
        status = success_status(op)
        media = json_media(document, op["responses"][status])
        if not media or _has_one_value(resolve(document, media["schema"])):
            continue
        bodies = []
        for _ in range(3):
            response = await call(
                mock, document, method, path, op, headers={**TOKEN, "Prefer": "dynamic=true"}
            )
            assert response.status_code == int(status)
            bodies.append(check_body(document, response, media))
        assert any(body != default_example(media) for body in bodies), (method, path)


def _has_one_value(schema: dict[str, Any]) -> bool:
    """An object whose every property is a constant (`{"statusText": "success"}`): nothing to vary."""
    properties = schema.get("properties", {}).values()
    return bool(properties) and all("const" in prop for prop in properties)


async def test_no_state_is_kept(mock: httpx.AsyncClient, document: dict[str, Any]) -> None:
    posted = {**OFFICIAL_POST, "community_name": "Posted Only", "unit_count": 5}
    created = await mock.post("/multifamily_properties", json=posted, headers=TOKEN)
    assert created.status_code == 200
    assert created.json()[0]["community_name"] == "Sunset Towers"
    listed = await mock.get("/multifamily_properties", headers=TOKEN)
    assert "Posted Only" not in listed.text
    assert listed.json() == OFFICIAL_LIST


async def test_meta_routes(mock: httpx.AsyncClient, document: dict[str, Any]) -> None:
    served = await mock.get("http://testserver/openapi.json")
    assert served.status_code == 200
    assert served.json() == orjson.loads(orjson.dumps(document))
    assert (await mock.get("http://testserver/healthz")).json()["status"] == "ok"
    page = await mock.get("http://testserver/docs")
    assert page.status_code == 200
    assert "multifamily_properties" in page.text
