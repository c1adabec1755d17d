"""Repeated requests are answered from memory with exactly what the full stack answered."""

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rentengine.mock import create_mock_app, mock_settings
from rentengine.mock.memo import ResponseMemo
from tests.factories import property_body
from tests.mock.conftest import BASE, TOKEN


@pytest.fixture
async def fresh() -> Any:
    """A mock app of its own, so the memory starts empty."""
    app = create_mock_app(mock_settings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield app, client


def _memo(app: FastAPI) -> ResponseMemo:
    layer: Any = app.middleware_stack
    while not isinstance(layer, ResponseMemo):
        layer = layer.app
    return layer


async def _build(app: FastAPI, client: httpx.AsyncClient) -> None:
    # The middleware stack is built on the first request.
    await client.get("/healthz")


REQUESTS = [
    ("GET", "/units?limit=2&statuses=Available", TOKEN, None),
    ("GET", "/units?limit=0", TOKEN, None),
    ("GET", "/units", {}, None),
    ("POST", "/multifamily_properties", TOKEN, {"community_name": 5}),
    ("GET", "/lockboxes", {**TOKEN, "Prefer": "code=404"}, None),
]


@pytest.mark.parametrize(("method", "url", "headers", "body"), REQUESTS)
async def test_a_remembered_answer_equals_the_first(
    fresh: Any, method: str, url: str, headers: dict[str, str], body: Any
) -> None:
    app, client = fresh
    await _build(app, client)
    first = await client.request(method, url, headers=headers, json=body)
    remembered = len(_memo(app).entries)
    again = await client.request(method, url, headers=headers, json=body)
    assert remembered >= 1
    assert len(_memo(app).entries) == remembered  # the second answer came from memory
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers.get("content-type") == first.headers.get("content-type")


async def test_token_presence_and_body_are_part_of_the_key(fresh: Any) -> None:
    _app, client = fresh
    assert (await client.get("/units", headers=TOKEN)).status_code == 200
    assert (await client.get("/units")).status_code == 401
    assert (await client.get("/units", headers=TOKEN)).status_code == 200
    bad = await client.post("/multifamily_properties", headers=TOKEN, json={"community_name": 5})
    good = await client.post("/multifamily_properties", headers=TOKEN, json=property_body(uuid.uuid4()))
    assert bad.status_code == 400
    assert good.status_code == 200


async def test_dynamic_answers_are_never_remembered(fresh: Any) -> None:
    app, client = fresh
    await _build(app, client)
    before = len(_memo(app).entries)
    headers = {**TOKEN, "Prefer": "dynamic=true"}
    bodies = {(await client.get("/units", headers=headers)).content for _ in range(3)}
    assert len(_memo(app).entries) == before
    assert len(bodies) > 1
