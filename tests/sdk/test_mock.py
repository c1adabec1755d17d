"""The SDK against the mock (`rentengine mock`): every operation, called with the document's examples,
answers the documented example (in-process); and the sync client against a real `rentengine mock`."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rentengine.mock import create_mock_app, mock_settings
from rentengine_client import (
    METHODS,
    OPERATIONS,
    APIConnectionError,
    AsyncRentEngine,
    AuthenticationError,
    RentEngine,
)
from tests.ports import free_port

BASE = "http://testserver/api/public/v1"
RENTENGINE = Path(sys.executable).with_name("rentengine")
# Query parameters that are optional one by one but of which one is needed (`oneOf` in the API).
ONE_OF: dict[str, dict[str, Any]] = {
    "getCalls": {"phone_number": "5551234567"},
    "getMessages": {"phone_number": "5551234567"},
    "getMarketComps": {"radius_miles": 2},
}


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Path]:
    """The mock's document cache in a folder of this test, not in the user's own cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
        yield tmp_path / "cache"


def example_of(parameter: dict[str, Any]) -> Any:
    schema = parameter["schema"]
    for candidate in (parameter, schema, *schema.get("anyOf", [])):
        if "example" in candidate:
            return candidate["example"]
        if candidate.get("examples"):
            return candidate["examples"][0]
    return "00000000-0000-4000-8000-000000000000"


def documented_call(operation: dict[str, Any]) -> tuple[list[Any], dict[str, Any], Any]:
    """Path arguments, required query parameters and the body, from the operation's examples."""
    parameters = operation.get("parameters", [])
    path = [example_of(p) for p in parameters if p["in"] == "path"]
    query = {p["name"]: example_of(p) for p in parameters if p["in"] == "query" and p.get("required")}
    query.update(ONE_OF.get(operation["operationId"], {}))
    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
    body = None
    if media is not None:
        body = media["example"] if "example" in media else next(iter(media["examples"].values()))["value"]
    return path, query, body


def documented_answers(operation: dict[str, Any]) -> list[Any]:
    """Every example of the operation's success responses (an upsert documents 200 and 201)."""
    answers: list[Any] = []
    for status, response in sorted(operation["responses"].items()):
        if status.startswith("2"):
            media = response.get("content", {}).get("application/json")
            if media is None:
                answers.append(None)
            elif "example" in media:
                answers.append(media["example"])
            else:
                answers.extend(example["value"] for example in media["examples"].values())
    return answers


async def test_every_operation_against_the_mock(cache: Path) -> None:
    app = create_mock_app(mock_settings())
    document: dict[str, Any] = app.state.document
    operations = {
        op["operationId"]: op
        for item in document["paths"].values()
        for method, op in item.items()
        if method in ("get", "post", "delete")
    }
    transport = httpx.ASGITransport(app=app)
    async with AsyncRentEngine("anything", base_url=BASE, transport=transport, max_retries=0) as client:
        for operation_id, (resource, name) in METHODS.items():
            operation = operations[operation_id]
            path, query, body = documented_call(operation)
            args = [*path, body] if body is not None else path
            answer = await getattr(getattr(client, resource), name)(*args, **query)
            assert answer in documented_answers(operation), operation_id
            if OPERATIONS[operation_id][2] is not None:
                iter_name = "iter" if name == "list" else f"iter_{name}"
                items = [i async for i in getattr(getattr(client, resource), iter_name)(*path, **query)]
                expected = answer if OPERATIONS[operation_id][2] == "array" else answer["data"]
                assert items[: len(expected)] == expected, operation_id


def test_sync_client_against_the_mock_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENTENGINE_")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    port = free_port()
    process = subprocess.Popen(
        [str(RENTENGINE), "mock", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        api = f"http://127.0.0.1:{port}/api/public/v1"
        deadline = time.monotonic() + 60
        # Connection refused while it starts: the client retries connection failures.
        with RentEngine(
            "anything", base_url=api, max_retries=50, backoff=0.05, max_retry_delay=0.2
        ) as client:
            while True:
                try:
                    properties = client.multifamily_properties.list()
                    break
                except APIConnectionError:
                    if time.monotonic() > deadline:
                        raise
            assert properties
            assert list(client.units.iter(limit=100)) == client.units.list(limit=100)
        with RentEngine(None, base_url=api) as anonymous, pytest.raises(AuthenticationError) as refused:
            anonymous.units.list()
        assert refused.value.status == 401
    finally:
        process.terminate()
        process.wait(timeout=10)
