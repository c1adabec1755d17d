"""The mock app and its document, built once per run (the mock needs no database)."""

import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
from fastapi import FastAPI

from rentengine.mock import create_mock_app, mock_settings
from rentengine.mock.dynamic import generate
from rentengine.mock.examples import resolve

BASE = "http://testserver/api/public/v1"
TOKEN = {"Authorization": "Bearer anything-at-all"}
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="session", autouse=True)
def document_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The mock's document cache in a folder of this run, not in the user's own cache."""
    folder = tmp_path_factory.mktemp("xdg-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        yield folder / "rentengine"


@pytest.fixture(scope="session")
def mock_app() -> FastAPI:
    return create_mock_app(mock_settings())


@pytest.fixture(scope="session")
def document(mock_app: FastAPI) -> dict[str, Any]:
    """The document the mock was built from (`test_meta` checks that it serves this one)."""
    return mock_app.state.document  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
async def mock(mock_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=mock_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def validator(document: dict[str, Any], schema: dict[str, Any]) -> jsonschema_rs.Validator:
    return jsonschema_rs.Draft202012Validator(
        {**schema, "components": document["components"]}, validate_formats=True
    )


def json_media(document: dict[str, Any], response: Any) -> dict[str, Any]:
    media: dict[str, Any] = resolve(document, response).get("content", {}).get("application/json", {})
    return media


def default_example(media: dict[str, Any]) -> Any:
    if "example" in media:
        return media["example"]
    return next(iter(media["examples"].values()))["value"]


def success_status(operation: dict[str, Any]) -> str:
    """201 when an operation documents it (creates), else its first 2xx."""
    documented = sorted(s for s in operation["responses"] if s.startswith("2"))
    return "201" if "201" in documented else documented[0]


def concrete_url(document: dict[str, Any], path: str, operation: dict[str, Any]) -> str:
    """The path with every path parameter filled with a schema-valid value."""
    rng = random.Random(path)
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            value = param.get("example", generate(document, param["schema"], rng))
            path = path.replace("{" + param["name"] + "}", str(value))
    return path


def example_query(operation: dict[str, Any]) -> dict[str, str]:
    """The operation's documented example query: every query parameter that shows an example (each
    required one must), lists as `a,b`. Where one of several parameters is needed (`/calls`: a
    prospect or a phone number), the one that shows an example is the one a client would send."""
    query: dict[str, str] = {}
    for param in operation.get("parameters", []):
        if param["in"] != "query":
            continue
        value = _parameter_example(param)
        if value is _NONE:
            assert not param.get("required"), f"required query parameter {param['name']!r} shows no example"
            continue
        query[param["name"]] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return query


_NONE = object()


def _parameter_example(param: dict[str, Any]) -> Any:
    schema = param.get("schema", {})
    for source in (param, schema):
        if "example" in source:
            return source["example"]
        if source.get("examples"):
            return source["examples"][0]
    return _NONE


def request_body(operation: dict[str, Any]) -> Any:
    """The operation's first documented request example (None without a body)."""
    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if media is None:
        return None
    if "example" in media:
        return media["example"]
    return next(iter(media["examples"].values()))["value"]
