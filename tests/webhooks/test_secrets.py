"""Signing secrets and receivers' API keys are stored encrypted: the row never holds them, while the API,
the portal and every delivery still see the plaintext, and a key that does not fit fails loudly
instead of sending anything."""

import logging
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import Table, select
from standardwebhooks.webhooks import Webhook

from rentengine.app import create_app
from rentengine.kit.encryption import Keyring, SealError, derived_key, new_key, parse_keys
from rentengine.runtime import Runtime
from rentengine.webhooks.delivery.service import claim_due
from rentengine.webhooks.models import WebhookDelivery, WebhookSubscription
from rentengine.webhooks.secrets import context, keyring_of, reseal
from tests.conftest import TEST_SECRET, make_settings
from tests.factories import Tenant, make_tenant, property_body
from tests.webhooks.receiver import Receiver, cancel_open_deliveries, fresh_database, settings_with
from tests.webhooks.test_target_pinning import _CSRF, _portal

SUBSCRIPTIONS: Table = WebhookSubscription.__table__  # type: ignore[assignment]
RECEIVER_KEY = "receiver-shared-key-5c19"
# The dedicated key of the "other process" that seals what the main runtime cannot open.
OTHER_KEY = new_key()
# A rotation's old and new keys. Every key used here is known at once: a reseal pass goes over all
# of this module's subscriptions.
OLD_KEY, NEW_KEY = new_key(), new_key()


@pytest.fixture(scope="module")
async def hooks(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Runtime]:
    # A database of its own: the claims made here must not touch other modules' deliveries.
    async with fresh_database(backend, tmp_path_factory.mktemp("secrets")) as url:
        runtime = Runtime.build(make_settings(url, webhook_allow_private_targets=True))
        try:
            yield runtime
        finally:
            await runtime.db.dispose()


@pytest.fixture(autouse=True)
async def _nothing_left_due(hooks: Runtime) -> AsyncIterator[None]:
    yield
    await cancel_open_deliveries(hooks.db)


@asynccontextmanager
async def api_of(runtime: Runtime, raise_errors: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app; with `raise_errors=False` a server error is a 500 answer, as in production."""
    app = create_app(runtime.settings, runtime)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_errors)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/public/v1") as client:
        yield client


@asynccontextmanager
async def runtime_with(hooks: Runtime, **overrides: Any) -> AsyncIterator[Runtime]:
    """Another process on the same database, with other settings (e.g. other keys)."""
    runtime = Runtime.build(settings_with(hooks.settings, **overrides))
    try:
        yield runtime
    finally:
        await runtime.db.dispose()


@pytest.fixture
async def owner(hooks: Runtime) -> Tenant:
    return await make_tenant(hooks)


async def subscribe(client: httpx.AsyncClient, owner: Tenant, url: str, **fields: Any) -> dict[str, Any]:
    body = {
        "account_id": str(owner.account_id),
        "url": url,
        "tables": ["multifamily_properties"],
        "event_types": ["INSERT"],
        "api_key": RECEIVER_KEY,
        **fields,
    }
    response = await client.post("/webhooks", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def stored_row(runtime: Runtime, webhook_id: str) -> dict[str, Any]:
    """Every column of the subscription's row, as the database holds it."""
    async with runtime.db.transaction(writes=False) as session:
        stmt = select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == uuid.UUID(webhook_id))
        return dict((await session.execute(stmt)).mappings().one())


def assert_holds_none_of(row: dict[str, Any], *secrets: str) -> None:
    for secret in secrets:
        # The whole secret, and the random part of the signing secret on its own.
        for piece in {secret, secret.removeprefix("whsec_")}:
            assert not any(piece in str(value) for value in row.values()), f"{piece!r} is stored in {row}"


async def test_the_stored_row_holds_neither_the_signing_secret_nor_the_api_key(
    hooks: Runtime, owner: Tenant
) -> None:
    async with api_of(hooks) as client:
        created = await subscribe(client, owner, "https://8.8.8.8/hooks", enabled=False)
        row = await stored_row(hooks, created["id"])
        assert_holds_none_of(row, created["signing_secret"], RECEIVER_KEY)
        assert row["signing_secret_sealed"].startswith("enc1:")
        assert row["api_key_sealed"].startswith("enc1:")

        changed = await client.post(
            "/webhooks", json={"id": created["id"], "api_key": "second-key-0a7e"}, headers=owner.headers
        )
        assert changed.status_code == 200
        assert changed.json()["api_key"] == "second-key-0a7e"
        row = await stored_row(hooks, created["id"])
        assert_holds_none_of(row, created["signing_secret"], RECEIVER_KEY, "second-key-0a7e")

        removed = await client.post(
            "/webhooks", json={"id": created["id"], "api_key": None}, headers=owner.headers
        )
        assert removed.json()["api_key"] is None
        assert (await stored_row(hooks, created["id"]))["api_key_sealed"] is None


async def test_the_api_and_the_portal_give_back_the_plaintext(hooks: Runtime, owner: Tenant) -> None:
    async with api_of(hooks) as client:
        created = await subscribe(client, owner, "https://8.8.8.8/hooks", enabled=False)
        assert created["signing_secret"].startswith("whsec_")
        assert created["api_key"] == RECEIVER_KEY
        [listed] = (await client.get("/webhooks", headers=owner.headers)).json()
        assert listed == created
        updated = await client.post(
            "/webhooks", json={"id": created["id"], "enabled": True}, headers=owner.headers
        )
        assert updated.json() == {**created, "enabled": True, "updated_at": updated.json()["updated_at"]}
        audit = await client.get("/audit_log", params={"table": "webhooks"}, headers=owner.headers)
        assert created["signing_secret"] not in audit.text
        assert RECEIVER_KEY not in audit.text
    portal = await _portal(hooks, owner)
    try:
        page = await portal.get(f"/webhooks/{created['id']}")
        token = _CSRF.search(page.text)
        assert token is not None
        shown = await portal.post(f"/webhooks/{created['id']}/secret", data={"csrf_token": token.group(1)})
    finally:
        await portal.aclose()
    assert shown.status_code == 200
    assert created["signing_secret"] in shown.text


async def test_a_delivery_sends_the_plaintext_key_and_a_signature_that_verifies(
    hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    async with api_of(hooks) as client:
        created = await subscribe(client, owner, receiver.url())
        sent = await client.post(f"/webhooks/{created['id']}/test", headers=owner.headers)
    assert sent.json()["status"] == "succeeded", sent.text
    [request] = receiver.requests
    assert request.headers["x-api-key"] == RECEIVER_KEY
    Webhook(created["signing_secret"]).verify(request.body, request.headers)


async def test_a_key_that_does_not_fit_fails_loudly_and_sends_nothing(
    hooks: Runtime, owner: Tenant, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    # Sealed under a dedicated key that the main runtime (the secret key's derived key alone) lacks.
    async with runtime_with(hooks, data_encryption_key=OTHER_KEY) as keyed, api_of(keyed) as other:
        created = await subscribe(other, owner, receiver.url())
        assert (await other.get("/webhooks", headers=owner.headers)).json() == [created]
    async with api_of(hooks, raise_errors=False) as client:
        listed = await client.get("/webhooks", headers=owner.headers)
        assert listed.status_code == 500
        assert created["signing_secret"] not in listed.text
        tested = await client.post(f"/webhooks/{created['id']}/test", headers=owner.headers)
        assert tested.status_code == 500
        made = await client.post(
            "/multifamily_properties", json=property_body(owner.account_id), headers=owner.headers
        )
        assert made.status_code == 200
    async with hooks.db.transaction() as session:
        with caplog.at_level(logging.ERROR, logger="rentengine.webhooks.delivery.service"):
            jobs = await claim_due(session, "worker-without-the-key", 10, 60, keyring_of(hooks.settings))
    assert jobs == []
    assert f"webhook {created['id']}: nothing is sent, its secrets cannot be decrypted" in caplog.text
    assert "which is not configured" in caplog.text
    async with hooks.db.transaction(writes=False) as session:
        stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == uuid.UUID(created["id"]))
        [delivery] = (await session.scalars(stmt)).all()
    # Still pending, held by the lease: it comes back when the lease ends, for a worker with the key.
    assert (delivery.status, delivery.attempt_count, delivery.is_test) == ("pending", 0, False)
    assert delivery.lease_owner == "worker-without-the-key"
    assert receiver.requests == []


def test_a_sealed_value_opens_only_with_its_key_and_as_what_it_was_sealed_as() -> None:
    keyring = Keyring([parse_keys(new_key())[0]])
    sealed = keyring.seal("whsec_abc", "webhook_subscriptions.signing_secret:1")
    assert re.fullmatch(r"enc1:[0-9a-f]{8}:[A-Za-z0-9_-]+", sealed)
    assert "whsec_abc" not in sealed
    assert keyring.seal("whsec_abc", "webhook_subscriptions.signing_secret:1") != sealed  # fresh nonce
    assert keyring.open(sealed, "webhook_subscriptions.signing_secret:1") == "whsec_abc"
    with pytest.raises(SealError, match="does not decrypt"):  # moved to another row
        keyring.open(sealed, "webhook_subscriptions.signing_secret:2")
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SealError, match="does not decrypt"):  # damaged
        keyring.open(flipped, "webhook_subscriptions.signing_secret:1")
    with pytest.raises(SealError, match="not configured"):
        Keyring([parse_keys(new_key())[0]]).open(sealed, "webhook_subscriptions.signing_secret:1")
    with pytest.raises(SealError, match="not encrypted"):
        keyring.open("whsec_abc", "webhook_subscriptions.signing_secret:1")


def test_the_keys_come_from_the_settings() -> None:
    dedicated = new_key()
    derived = keyring_of(make_settings("sqlite:///unused.db"))
    assert derived is keyring_of(make_settings("sqlite:///unused.db"))  # built once
    keyed = keyring_of(make_settings("sqlite:///unused.db", data_encryption_key=dedicated))
    # The dedicated key seals; the secret key's derived key still opens what it sealed before.
    assert keyed.sealing_key_id != derived.sealing_key_id
    old = derived.seal("k", "c")
    assert keyed.open(old, "c") == "k"
    with pytest.raises(SealError):
        derived.open(keyed.seal("k", "c"), "c")
    # Another secret key derives another key.
    other = keyring_of(make_settings("sqlite:///unused.db", secret_key=TEST_SECRET[::-1]))
    with pytest.raises(SealError, match="not configured"):
        other.open(old, "c")
    assert derived_key(TEST_SECRET) != derived_key(TEST_SECRET[::-1])
    # URL-safe or standard base64, padded or not; anything but 32 bytes is refused.
    raw = parse_keys(dedicated)[0]
    assert parse_keys(dedicated.replace("+", "-").replace("/", "_").rstrip("=")) == [raw]
    for bad in ("short", dedicated[:-8], dedicated + dedicated, "not base64 at all!"):
        with pytest.raises(SealError, match="base64 of 32 random bytes"):
            parse_keys(bad)


async def test_a_write_reseals_what_an_older_key_sealed(hooks: Runtime, owner: Tenant) -> None:
    async with runtime_with(hooks, data_encryption_key=OLD_KEY) as before, api_of(before) as client:
        created = await subscribe(client, owner, "https://8.8.8.8/hooks", enabled=False)
    old_row = await stored_row(hooks, created["id"])
    async with runtime_with(hooks, data_encryption_key=f"{NEW_KEY},{OLD_KEY}") as rotated:
        async with api_of(rotated) as client:
            body = {"id": created["id"], "tables": ["units"]}
            assert (await client.post("/webhooks", json=body, headers=owner.headers)).status_code == 200
        keyring = keyring_of(rotated.settings)
    row = await stored_row(hooks, created["id"])
    for column in ("signing_secret_sealed", "api_key_sealed"):
        assert keyring.needs_reseal(old_row[column])
        assert not keyring.needs_reseal(row[column])
    async with runtime_with(hooks, data_encryption_key=NEW_KEY) as after, api_of(after) as client:
        [listed] = (await client.get("/webhooks", headers=owner.headers)).json()
    assert (listed["signing_secret"], listed["api_key"]) == (created["signing_secret"], RECEIVER_KEY)


async def test_a_rotation_reseals_every_secret_with_the_new_key(hooks: Runtime, owner: Tenant) -> None:
    async with runtime_with(hooks, data_encryption_key=OLD_KEY) as before, api_of(before) as client:
        created = await subscribe(client, owner, "https://8.8.8.8/hooks", enabled=False)
    old_row = await stored_row(hooks, created["id"])
    # The new key first; the old one after it (and the other test's key, whose rows are here too).
    keys = f"{NEW_KEY},{OLD_KEY},{OTHER_KEY}"
    rotated = keyring_of(settings_with(hooks.settings, data_encryption_key=keys))
    assert rotated.needs_reseal(old_row["signing_secret_sealed"])
    async with hooks.db.transaction() as session:
        assert await reseal(session, rotated, batch=2) >= 1
    row = await stored_row(hooks, created["id"])
    assert row["signing_secret_sealed"] != old_row["signing_secret_sealed"]
    assert not rotated.needs_reseal(row["signing_secret_sealed"])
    assert not rotated.needs_reseal(row["api_key_sealed"])
    # Now the old key can go: the new one alone opens everything.
    async with runtime_with(hooks, data_encryption_key=NEW_KEY) as after, api_of(after) as client:
        listed = (await client.get("/webhooks", headers=owner.headers)).json()
    assert [(h["signing_secret"], h["api_key"]) for h in listed] == [
        (created["signing_secret"], RECEIVER_KEY)
    ]
    ctx = context(uuid.UUID(created["id"]), "signing_secret")
    assert rotated.open(row["signing_secret_sealed"], ctx) == created["signing_secret"]
