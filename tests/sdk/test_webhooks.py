"""`WebhookVerifier` on a real delivery from the worker (both backends), and on the Standard Webhooks
reference vector and forged, stale or unkeyed requests."""

import asyncio
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import uvicorn
from standardwebhooks.webhooks import Webhook

from rentengine.runtime import Runtime
from rentengine_client import WebhookVerificationError, WebhookVerifier, parse_event
from tests.factories import make_tenant, unit_body
from tests.hooks import hooks, hooks_api, receiver, subscribe
from tests.ports import free_port
from tests.webhooks.receiver import Receiver, running_worker, wait_until

__all__ = ["hooks", "hooks_api", "receiver"]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
# The Django project's `urls.py`, as the README's Django section routes its view.
DJANGO_URLS = ModuleType("readme_urls")
README = Path(__file__).resolve().parents[2] / "clients" / "python" / "README.md"


async def test_a_real_delivery_verifies_and_parses(
    hooks: Runtime, hooks_api: httpx.AsyncClient, receiver: Receiver
) -> None:
    owner = await make_tenant(hooks)
    subscription = await subscribe(
        hooks_api,
        owner.headers,
        {"account_id": str(owner.account_id), "url": receiver.url(), "tables": ["units"], "api_key": "k-123"},
    )
    async with running_worker(hooks.settings, hooks.db):
        created = await hooks_api.post("/units", json=unit_body(owner.account_id), headers=owner.headers)
        assert created.status_code == 201, created.text
        (request,) = await receiver.wait_for(1)
    verifier = WebhookVerifier(subscription["signing_secret"], api_key="k-123")
    event = verifier.verify(request.body, request.headers)
    assert event["type"] == "INSERT"
    assert event["table"] == "units"
    assert event["record"] == created.json()
    assert event["old_record"] is None

    with pytest.raises(WebhookVerificationError, match="X-API-Key"):
        WebhookVerifier(subscription["signing_secret"], api_key="k-124").verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError, match="signature"):
        verifier.verify(request.body.replace(b"INSERT", b"UPDATE"), request.headers)
    with pytest.raises(WebhookVerificationError, match="signature"):
        WebhookVerifier(SECRET, api_key="k-123").verify(request.body, request.headers)


def signed(
    body: str, *, at: int | None = None, msg_id: str = "msg_1", secret: str = SECRET
) -> dict[str, str]:
    stamp = int(time.time()) if at is None else at

    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(stamp, tz=UTC), body)
    return {"webhook-id": msg_id, "webhook-timestamp": str(stamp), "webhook-signature": signature}


def test_the_reference_vector() -> None:
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v2,abc v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    lenient = WebhookVerifier(SECRET, tolerance=time.time())
    lenient.verify_signature(b'{"test": 2432232314}', headers)
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        WebhookVerifier(SECRET).verify_signature(b'{"test": 2432232314}', headers)
    with pytest.raises(WebhookVerificationError, match="signature"):
        lenient.verify_signature(b'{"test": 2432232315}', headers)


def test_timestamp_tolerance_and_headers() -> None:
    body = '{"type": "DELETE", "table": "calls", "record": null, "old_record": {"id": 1}}'
    verifier = WebhookVerifier(SECRET, tolerance=60)
    assert verifier.verify(body, signed(body))["old_record"] == {"id": 1}
    assert verifier.verify(body, signed(body, at=int(time.time()) - 50))["type"] == "DELETE"
    for skew in (-120, 120):
        with pytest.raises(WebhookVerificationError, match="tolerance"):
            verifier.verify(body, signed(body, at=int(time.time()) + skew))
    headers: dict[str, Any] = signed(body)
    del headers["webhook-signature"]
    with pytest.raises(WebhookVerificationError, match="missing"):
        verifier.verify(body, headers)
    with pytest.raises(WebhookVerificationError, match="X-API-Key"):
        WebhookVerifier(SECRET, api_key="key").verify(body, signed(body))
    keyed = {**signed(body), "X-API-Key": "key"}
    assert WebhookVerifier(SECRET, api_key="key").verify(body, keyed)["table"] == "calls"


def test_payloads_must_have_the_four_keys() -> None:
    for bad in (
        "[]",
        "{}",
        '{"type": "X", "table": "units", "record": null, "old_record": null}',
        "not json",
    ):
        with pytest.raises(WebhookVerificationError):
            parse_event(bad)
    with pytest.raises(ValueError, match="whsec_"):
        WebhookVerifier("whsec_")


def started(server: uvicorn.Server) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return bool(server.started)

    return check


def arrived(handled: list[Any]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return bool(handled)

    return check


def readme_block(heading: str) -> str:
    """The Python block under a README heading."""
    text = README.read_text()
    section = text[text.index(f"### {heading}\n") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


async def test_the_readme_fastapi_receiver_gets_a_real_delivery(
    hooks: Runtime, hooks_api: httpx.AsyncClient
) -> None:
    await readme_receiver_gets_a_real_delivery(hooks, hooks_api, "FastAPI", lambda names: names["app"])


async def test_the_readme_django_receiver_gets_a_real_delivery(
    hooks: Runtime, hooks_api: httpx.AsyncClient
) -> None:
    await readme_receiver_gets_a_real_delivery(hooks, hooks_api, "Django", django_app)


def django_app(namespace: dict[str, Any]) -> Any:
    """The README's Django view routed as its `urls.py` says, served by Django's own ASGI handler."""
    from django.conf import settings
    from django.core.asgi import get_asgi_application
    from django.urls import clear_url_caches, path

    if not settings.configured:
        settings.configure(
            ALLOWED_HOSTS=["127.0.0.1"], ROOT_URLCONF=DJANGO_URLS, SECRET_KEY=secrets.token_hex()
        )
    DJANGO_URLS.urlpatterns = [path("hooks/rentengine", namespace["rentengine_hook"])]  # type: ignore[attr-defined]
    clear_url_caches()
    return get_asgi_application()


async def readme_receiver_gets_a_real_delivery(
    hooks: Runtime,
    hooks_api: httpx.AsyncClient,
    heading: str,
    app_of: Callable[[dict[str, Any]], Any],
) -> None:
    """Runs the README's receiver under uvicorn; our worker delivers a real change to it."""
    owner = await make_tenant(hooks)
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/rentengine"
    body = {"account_id": str(owner.account_id), "url": url, "tables": ["units"], "api_key": "readme-key"}
    subscription = await subscribe(hooks_api, owner.headers, body)
    handled: list[tuple[str, Any]] = []
    namespace: dict[str, Any] = {
        "__name__": f"readme_{heading.lower()}",  # what the snippet's own module would be called
        "SIGNING_SECRET": subscription["signing_secret"],
        "API_KEY": "readme-key",
        "handle": lambda event_id, event: handled.append((event_id, event)),
    }
    exec(readme_block(heading), namespace)
    app = app_of(namespace)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        await wait_until(started(server), f"the {heading} receiver listens")
        async with running_worker(hooks.settings, hooks.db):
            created = await hooks_api.post("/units", json=unit_body(owner.account_id), headers=owner.headers)
            assert created.status_code == 201, created.text
            await wait_until(arrived(handled), "the delivery reaches the handler")
        async with httpx.AsyncClient() as plain:
            forged = await plain.post(url, content=b"{}", headers={"X-API-Key": "readme-key"})
    finally:
        server.should_exit = True
        await serving
    ((event_id, event),) = handled
    deliveries = await hooks_api.get(f"/webhooks/{subscription['id']}/deliveries", headers=owner.headers)
    assert [d["event_id"] for d in deliveries.json()] == [event_id]
    assert (event["type"], event["table"], event["record"]) == ("INSERT", "units", created.json())
    assert forged.status_code == 400
