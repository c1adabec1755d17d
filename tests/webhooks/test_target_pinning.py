"""A delivery goes to the very address its target check passed (no second resolution a rebinding name
could answer differently), and a refusal tells the caller nothing about where a name points.

Name resolution and connecting are replaced on the test's event loop: `rebind.example` answers what
each test scripts, and a connection to its (public) address is handed to the local receiver on
127.0.0.1 instead. Nothing here connects anywhere but loopback.
"""

import asyncio
import ipaddress
import re
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from rentengine.app import create_app
from rentengine.auth import service as auth
from rentengine.runtime import Runtime
from rentengine.settings import Settings
from rentengine.webhooks.delivery.sender import Sender, Target
from rentengine.webhooks.delivery.signing import new_signing_secret
from tests.conftest import make_settings
from tests.factories import Tenant
from tests.webhooks.receiver import Receiver

HOST = "rebind.example"
PUBLIC = "8.8.8.8"  # what the name answers first: a public address, never really connected to
REFUSED = "the target is not allowed"


@dataclass
class FakeNetwork:
    """Scripted answers for HOST, and a record of every connection asked for to the test's port."""

    port: int
    # One list of addresses per resolution of HOST; the last one repeats. Empty: HOST does not resolve.
    answers: list[list[str]] = field(default_factory=list)
    resolutions: int = 0
    connects: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def answer(self) -> list[str]:
        self.resolutions += 1
        return self.answers[min(self.resolutions, len(self.answers)) - 1]


def _loopback(host: object) -> bool:
    try:
        return ipaddress.ip_address(str(host)).is_loopback
    except ValueError:
        return host == "localhost"


@pytest.fixture
async def network(monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> FakeNetwork:
    loop = asyncio.get_running_loop()
    fake = FakeNetwork(port=receiver.port)
    real_getaddrinfo, real_connect = loop.getaddrinfo, loop.create_connection

    async def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == HOST:
            answer = fake.answer()
            if not answer:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [
                (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in answer
            ]
        if _loopback(host):  # the database's own connections
            return await real_getaddrinfo(host, port, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "only loopback resolves in this test")

    async def create_connection(factory: Callable[[], Any], host: Any, port: Any, **kwargs: Any) -> Any:
        if port == fake.port:
            fake.connects.append((str(host), kwargs))
            if host == PUBLIC and "ssl" not in kwargs:
                # The public address stands for the receiver, which listens on loopback.
                return await real_connect(factory, "127.0.0.1", port)
            raise ConnectionRefusedError(f"no connection to {host} in this test")
        if _loopback(host):  # the database's own connections
            return await real_connect(factory, host, port, **kwargs)
        raise ConnectionRefusedError(f"no connection to {host} in this test")

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(loop, "create_connection", create_connection)
    return fake


def _settings(**overrides: Any) -> Settings:
    return make_settings("sqlite:///unused.db", webhook_timeout_seconds=5, **overrides)


def _target(port: int, scheme: str = "http") -> Target:
    return Target(uuid.uuid4(), f"{scheme}://{HOST}:{port}/hooks", "receiver-key", new_signing_secret())


async def test_the_sender_connects_to_the_address_it_checked_not_to_a_second_answer(
    network: FakeNetwork, receiver: Receiver
) -> None:
    network.answers = [[PUBLIC], ["127.0.0.1"]]  # public to the first question, loopback after
    async with Sender.open(_settings()) as sender:
        result = await sender.attempt(_target(network.port), "msg_1", '{"a": 1}')
    assert result.outcome == "succeeded", result.error
    assert network.resolutions == 1
    assert [host for host, _ in network.connects] == [PUBLIC]
    [request] = receiver.requests
    # The name stays the Host header; the receiver's key travels as before.
    assert request.headers["host"] == f"{HOST}:{network.port}"
    assert request.headers["x-api-key"] == "receiver-key"


async def test_a_rebinding_answer_at_the_next_attempt_is_refused_before_any_connection(
    network: FakeNetwork, receiver: Receiver
) -> None:
    network.answers = [[PUBLIC], ["127.0.0.1"]]
    async with Sender.open(_settings()) as sender:
        target = _target(network.port)
        assert (await sender.attempt(target, "msg_1", "{}")).outcome == "succeeded"
        again = await sender.attempt(target, "msg_2", "{}")
    assert (again.outcome, again.error) == ("refused", f"target refused: {REFUSED}")
    assert network.resolutions == 2
    assert [host for host, _ in network.connects] == [PUBLIC]
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    "answer", [["127.0.0.1"], ["::1"], [PUBLIC, "127.0.0.1"], ["10.1.2.3", PUBLIC], ["169.254.169.254"]]
)
async def test_a_private_answer_to_the_only_resolution_is_refused(
    network: FakeNetwork, receiver: Receiver, answer: list[str]
) -> None:
    network.answers = [answer]
    async with Sender.open(_settings()) as sender:
        result = await sender.attempt(_target(network.port), "msg_1", "{}")
    assert (result.outcome, result.error) == ("refused", f"target refused: {REFUSED}")
    assert network.resolutions == 1
    assert network.connects == []
    assert receiver.requests == []


async def test_https_connects_to_the_checked_address_and_verifies_the_name(network: FakeNetwork) -> None:
    network.answers = [[PUBLIC], ["127.0.0.1"]]
    async with Sender.open(_settings()) as sender:
        result = await sender.attempt(_target(network.port, "https"), "msg_1", "{}")
    assert result.outcome == "connection_error"  # the fake refuses every TLS connection
    [(host, options)] = network.connects
    assert host == PUBLIC
    assert options["server_hostname"] == HOST
    assert network.resolutions == 1


async def test_the_test_send_connects_to_the_checked_address_and_logs_no_address(
    client: httpx.AsyncClient, tenant: Tenant, network: FakeNetwork, receiver: Receiver
) -> None:
    # Both the API's check at creation and each send resolve once; the second send meets loopback.
    network.answers = [[PUBLIC], [PUBLIC], ["127.0.0.1"]]
    body = {
        "account_id": str(tenant.account_id),
        "url": f"http://{HOST}:{network.port}/hooks",
        "tables": ["units"],
        "event_types": ["INSERT"],
    }
    created = await client.post("/webhooks", json=body, headers=tenant.headers)
    assert created.status_code == 201, created.text
    hook = created.json()["id"]
    sent = await client.post(f"/webhooks/{hook}/test", headers=tenant.headers)
    assert sent.status_code == 200
    assert sent.json()["status"] == "succeeded"
    assert [host for host, _ in network.connects] == [PUBLIC]
    assert len(receiver.requests) == 1

    refused = await client.post(f"/webhooks/{hook}/test", headers=tenant.headers)
    assert refused.status_code == 200
    [attempt] = refused.json()["attempts"]
    assert attempt["error"] == f"target refused: {REFUSED}"
    assert network.resolutions == 3
    assert [host for host, _ in network.connects] == [PUBLIC]
    log = await client.get(f"/webhooks/{hook}/deliveries", headers=tenant.headers)
    assert [d["attempts"][0]["error"] for d in log.json()] == [None, f"target refused: {REFUSED}"]
    for text in (refused.text, log.text):
        assert "127.0.0.1" not in text
        assert "resolve" not in text


async def test_an_api_refusal_is_the_same_whether_the_name_is_private_or_does_not_exist(
    client: httpx.AsyncClient, tenant: Tenant, network: FakeNetwork
) -> None:
    body = {
        "account_id": str(tenant.account_id),
        "url": f"https://{HOST}/hooks",
        "tables": ["units"],
        "event_types": ["INSERT"],
    }
    answers: list[httpx.Response] = []
    for answer in (["10.1.2.3"], ["fd00::7"], []):
        network.answers, network.resolutions = [answer], 0
        answers.append(await client.post("/webhooks", json=body, headers=tenant.headers))
    expected = {
        "error": answers[0].json()["error"],
        "details": [
            {
                "keyword": "publicTarget",
                "instancePath": "/url",
                "dataPath": "/url",
                "schemaPath": "#/publicTarget",
                "params": {},
                "message": REFUSED,
            }
        ],
    }
    for response in answers:
        assert response.status_code == 400
        assert response.json() == expected
        for leak in ("10.1.2.3", "fd00", "resolve", "private"):
            assert leak not in response.text
    assert network.connects == []


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _portal(runtime: Runtime, tenant: Tenant) -> httpx.AsyncClient:
    """A signed-in portal client on the same app settings as `client`."""
    password = "correct horse battery staple"
    async with runtime.db.transaction() as session:
        await auth.set_password(session, tenant.email, password)
    transport = httpx.ASGITransport(app=create_app(runtime.settings, runtime))
    portal = httpx.AsyncClient(transport=transport, base_url="http://testserver/portal")
    page = await portal.get("/login")
    token = _CSRF.search(page.text)
    assert token is not None
    form = {"email": tenant.email, "password": password, "csrf_token": token.group(1)}
    signed_in = await portal.post("/login", data=form)
    assert signed_in.status_code == 303, signed_in.text
    return portal


async def test_the_portal_form_says_only_that_the_target_is_not_allowed(
    runtime: Runtime, tenant: Tenant, network: FakeNetwork
) -> None:
    network.answers = [["10.1.2.3"]]
    portal = await _portal(runtime, tenant)
    try:
        page = await portal.get("/webhooks/new")
        token = _CSRF.search(page.text)
        assert token is not None
        form = {
            "csrf_token": token.group(1),
            "account_id": str(tenant.account_id),
            "url": f"https://{HOST}/hooks",
            "tables": "units",
            "event_types": "INSERT",
            "enabled": "1",
        }
        refused = await portal.post("/webhooks", data=form)
    finally:
        await portal.aclose()
    assert refused.status_code == 400
    assert "The URL&#39;s target is not allowed." in refused.text
    assert "10.1.2.3" not in refused.text
    assert "resolves to" not in refused.text
    assert network.resolutions == 1
