"""One request id from the balancer's header to the response, the JSON log, the audit log and the
webhook receiver, through a real `rentengine serve` (JSON logs, delivery worker on) on both backends;
and no secret used in that run in any line it logged."""

import json
import re
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rentengine.runtime import Runtime
from tests.conftest import TEST_SECRET, make_settings
from tests.factories import Tenant, make_tenant, unit_body
from tests.ports import free_port
from tests.servers import RENTENGINE, user_environment, wait_until_up
from tests.webhooks.receiver import Receiver, fresh_database, running_receiver

API = "/api/public/v1"
RECEIVER_KEY = "receiver-key-5b0e9c1d7a"
GENERATED = r"^[0-9a-f]{32}$"


@pytest.fixture(scope="module")
async def database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    async with fresh_database(backend, tmp_path_factory.mktemp("flow")) as url:
        yield url


@pytest.fixture(scope="module")
async def owner(database: str) -> AsyncIterator[Tenant]:
    runtime = Runtime.build(make_settings(database))
    try:
        yield await make_tenant(runtime)
    finally:
        await runtime.db.dispose()


class Serve:
    def __init__(self, process: subprocess.Popen[bytes], base: str, stdout: Path, stderr: Path) -> None:
        self.process, self.base, self.stdout, self.stderr = process, base, stdout, stderr

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def log_lines(self) -> list[dict[str, Any]]:
        """Every line of stderr, each of which must be one JSON object."""
        lines = [line for line in self.stderr.read_text().splitlines() if line.strip()]
        return [json.loads(line) for line in lines]


@pytest.fixture
def serve(database: str, tmp_path: Path) -> Iterator[Serve]:
    """`rentengine serve` with JSON logs and its delivery worker; stdout and stderr kept apart."""
    env = user_environment(
        database,
        RENTENGINE_LOG_FORMAT="json",
        RENTENGINE_WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
        RENTENGINE_RATE_LIMIT="1000/second",
    )
    port = free_port()
    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
    command = [str(RENTENGINE), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
    server = Serve(process, f"http://127.0.0.1:{port}", stdout, stderr)
    try:
        wait_until_up(process, server.base, stderr)
        yield server
    finally:
        server.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as r:
        yield r


async def _subscribe(api: httpx.AsyncClient, owner: Tenant, receiver: Receiver) -> dict[str, Any]:
    body = {
        "account_id": str(owner.account_id),
        "url": receiver.url(),
        "tables": ["units"],
        "event_types": ["INSERT"],
        "api_key": RECEIVER_KEY,
    }
    response = await api.post(f"{API}/webhooks", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_request_id_reaches_the_response_log_audit_log_and_receiver(
    serve: Serve, owner: Tenant, receiver: Receiver
) -> None:
    request_id = f"lb-{uuid.uuid4()}"
    async with httpx.AsyncClient(base_url=serve.base, timeout=30) as api:
        subscription = await _subscribe(api, owner, receiver)
        created = await api.post(
            f"{API}/units",
            json=unit_body(owner.account_id),
            headers={**owner.headers, "X-Request-Id": request_id},
        )
        assert created.status_code == 201, created.text
        assert created.headers["x-request-id"] == request_id
        unit_id = created.json()["id"]

        [delivered] = await receiver.wait_for(1)
        assert delivered.headers["x-request-id"] == request_id
        assert delivered.json()["record"]["id"] == unit_id

        audit = await api.get(
            f"{API}/audit_log", params={"table": "units", "record_id": unit_id}, headers=owner.headers
        )
        [entry] = audit.json()
        assert entry["request_id"] == request_id

        # A request without the header gets an id of its own, in the response and the log.
        deliveries = await api.get(f"{API}/webhooks/{subscription['id']}/deliveries", headers=owner.headers)
        [delivery] = deliveries.json()
        assert delivery["request_id"] == request_id
    serve.stop()

    lines = serve.log_lines()
    access_lines = [line for line in lines if line["logger"] == "rentengine.access"]
    [access] = [line for line in access_lines if line.get("request_id") == request_id]
    assert (access["method"], access["path"], access["route"], access["status"]) == (
        "POST",
        f"{API}/units",
        f"{API}/units",
        201,
    )
    assert access["duration_ms"] > 0
    assert re.fullmatch(GENERATED, deliveries.headers["x-request-id"])
    [own] = [line for line in access_lines if line.get("request_id") == deliveries.headers["x-request-id"]]
    assert own["route"] == f"{API}/webhooks/{{id}}/deliveries"
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)


async def test_ids_that_are_too_long_or_not_ascii_are_replaced_over_http(serve: Serve) -> None:
    async with httpx.AsyncClient(base_url=serve.base, timeout=30) as api:
        for sent in (b"x" * 129, "café-1".encode(), b"id with spaces", b"<script>"):
            response = await api.get("/healthz", headers=[(b"X-Request-Id", sent)])
            assert re.fullmatch(GENERATED, response.headers["x-request-id"]), sent
        kept = await api.get("/healthz", headers={"X-Request-Id": "x" * 128})
        assert kept.headers["x-request-id"] == "x" * 128


async def test_no_secret_of_a_run_that_used_them_is_logged(
    serve: Serve, owner: Tenant, receiver: Receiver
) -> None:
    forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmb3JnZWQifQ.c2lnbmF0dXJlLW9mLWEtZm9yZ2VkLXRva2Vu"
    async with httpx.AsyncClient(base_url=serve.base, timeout=30) as api:
        subscription = await _subscribe(api, owner, receiver)
        # The token in a header, in a query string, and a forged one that is refused.
        await api.get(f"{API}/units", params={"limit": 1}, headers=owner.headers)
        await api.get(f"{API}/units", params={"token": owner.token}, headers=owner.headers)
        refused = await api.get(f"{API}/units", headers={"Authorization": f"Bearer {forged}"})
        assert refused.status_code == 401
        # A delivery signed with the subscription's secret and carrying the receiver's key.
        await api.post(f"{API}/units", json=unit_body(owner.account_id), headers=owner.headers)
        [delivered] = await receiver.wait_for(1)
        assert delivered.headers["x-api-key"] == RECEIVER_KEY
        # The portal's sign-in with a password.
        await api.post("/portal/login", data={"email": owner.email, "password": "a-wrong-password-3f9"})
    serve.stop()

    logged = serve.stderr.read_text() + serve.stdout.read_text()
    assert "rentengine.access" in logged  # the run did log its requests
    secrets = {
        "API token": owner.token,
        "forged token": forged,
        "signing secret": subscription["signing_secret"],
        "receiver's API key": RECEIVER_KEY,
        "secret key": TEST_SECRET,
        "password": "a-wrong-password-3f9",
    }
    leaked = [name for name, secret in secrets.items() if secret in logged]
    assert not leaked, leaked
