"""Migration 0006 encrypts the webhook secrets already stored, with the keys of the environment's
settings, and its downgrade decrypts them; a key that does not fit stops it with nothing changed."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from rentengine.app import create_app
from rentengine.db.base import PortableJSON, UTCDateTime
from rentengine.db.migrate import downgrade, upgrade
from rentengine.db.session import Database
from rentengine.kit.encryption import SealError, new_key
from rentengine.runtime import Runtime
from rentengine.settings import Settings
from rentengine.webhooks.secrets import context, keyring_of
from tests.conftest import TEST_SECRET, make_settings
from tests.databases import throwaway_database
from tests.factories import make_tenant

BEFORE, AFTER = "0005", "0006"
T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
API_KEY = "receiver-shared-key-7d41"
# A long API key, as the API allows (1,024 characters): sealed, it no longer fits the old column.
LONG_API_KEY = "k" * 1024

# The tables as revision 0005 has them (the models describe the newer schema).
OLD_SUBSCRIPTIONS = sa.table(
    "webhook_subscriptions",
    sa.column("id", sa.Uuid()),
    sa.column("account_id", sa.Uuid()),
    sa.column("url", sa.String()),
    sa.column("tables", PortableJSON),
    sa.column("event_types", PortableJSON),
    sa.column("api_key", sa.String()),
    sa.column("signing_secret", sa.String()),
    sa.column("enabled", sa.Boolean()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
DELIVERIES = sa.table(
    "webhook_deliveries",
    sa.column("id", sa.Uuid()),
    sa.column("webhook_id", sa.Uuid()),
    sa.column("account_id", sa.Uuid()),
    sa.column("event_id", sa.String()),
    sa.column("table", sa.String()),
    sa.column("type", sa.String()),
    sa.column("payload", sa.Text()),
    sa.column("status", sa.String()),
    sa.column("attempt_count", sa.Integer()),
    sa.column("is_test", sa.Boolean()),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)


@pytest.fixture
async def database_at_0005(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    async with throwaway_database(backend, tmp_path, revision=BEFORE, prefix="rentengine_mig") as url:
        db = Database(url, pool_size=1)
        try:
            yield db
        finally:
            await db.dispose()


@pytest.fixture(params=["dedicated", "derived"])
def keys(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The environment the migration reads its keys from: a dedicated key, or only the secret key."""
    for name in ("RENTENGINE_DATA_ENCRYPTION_KEY", "RENTENGINE_ENV", "RENTENGINE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RENTENGINE_SECRET_KEY", TEST_SECRET)
    if request.param == "dedicated":
        monkeypatch.setenv("RENTENGINE_DATA_ENCRYPTION_KEY", new_key())
    return Settings()


async def _store_plaintext(db: Database) -> dict[uuid.UUID, tuple[str | None, str]]:
    """Three subscriptions as 0005 stored them (api key, signing secret); one has a delivery."""
    secrets = {
        uuid.uuid4(): (API_KEY, SECRET),
        uuid.uuid4(): (None, SECRET.replace("M", "N")),
        uuid.uuid4(): (LONG_API_KEY, SECRET.replace("M", "P")),
    }
    rows = [
        {
            "id": webhook_id,
            "account_id": uuid.uuid4(),
            "url": "https://hooks.example.com/in",
            "tables": ["units"],
            "event_types": ["INSERT"],
            "api_key": api_key,
            "signing_secret": secret,
            "enabled": True,
            "created_at": T0,
            "updated_at": T0,
        }
        for webhook_id, (api_key, secret) in secrets.items()
    ]
    first = rows[0]
    delivery = {
        "id": uuid.uuid4(),
        "webhook_id": first["id"],
        "account_id": first["account_id"],
        "event_id": "msg_1",
        "table": "units",
        "type": "INSERT",
        "payload": "{}",
        "status": "succeeded",
        "attempt_count": 1,
        "is_test": False,
        "created_at": T0,
        "updated_at": T0,
    }
    async with db.transaction() as session:
        await session.execute(sa.insert(OLD_SUBSCRIPTIONS), rows)
        await session.execute(sa.insert(DELIVERIES), [delivery])
    return secrets


async def _raw_rows(db: Database) -> dict[uuid.UUID, dict[str, Any]]:
    """Every column of every subscription, as stored, whatever the revision."""
    await db.dispose()  # a pooled connection's prepared `SELECT *` is stale after the schema changed
    async with db.transaction(writes=False) as session:
        result = await session.execute(sa.text("SELECT * FROM webhook_subscriptions"))
        rows = [dict(row) for row in result.mappings()]
    return {uuid.UUID(str(row["id"])): row for row in rows}


async def _revision(db: Database) -> str:
    async with db.transaction(writes=False) as session:
        return str(await session.scalar(sa.text("SELECT version_num FROM alembic_version")))


def _plaintext(rows: dict[uuid.UUID, dict[str, Any]]) -> dict[uuid.UUID, tuple[str | None, str]]:
    """The old columns' (api key, signing secret) of each row."""
    return {webhook_id: (row["api_key"], row["signing_secret"]) for webhook_id, row in rows.items()}


def _opened(settings: Settings, webhook_id: uuid.UUID, row: dict[str, Any]) -> tuple[str | None, str]:
    keyring = keyring_of(settings)
    api_key = row["api_key_sealed"]
    return (
        None if api_key is None else keyring.open(api_key, context(webhook_id, "api_key")),
        keyring.open(row["signing_secret_sealed"], context(webhook_id, "signing_secret")),
    )


async def test_upgrade_encrypts_the_stored_secrets_and_the_api_still_returns_them(
    database_at_0005: Database, keys: Settings
) -> None:
    db = database_at_0005
    secrets = await _store_plaintext(db)
    await asyncio.to_thread(upgrade, db.url, AFTER)

    rows = await _raw_rows(db)
    assert set(rows) == set(secrets)
    for webhook_id, row in rows.items():
        assert "api_key" not in row
        assert "signing_secret" not in row
        api_key, secret = secrets[webhook_id]
        for value in row.values():
            assert secret not in str(value)
            assert secret.removeprefix("whsec_") not in str(value)
            assert api_key is None or api_key not in str(value)
        assert row["signing_secret_sealed"].startswith("enc1:")
        assert (row["api_key_sealed"] is None) == (api_key is None)
        assert _opened(keys, webhook_id, row) == (api_key, secret)
    async with db.transaction(writes=False) as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(DELIVERIES)) == 1

    # The server, with the same keys, hands the plaintext back.
    await asyncio.to_thread(upgrade, db.url)
    runtime = Runtime.build(make_settings(db.url, data_encryption_key=keys.data_encryption_key))
    try:
        tenant = await make_tenant(runtime)
        async with db.transaction() as session:
            await session.execute(sa.update(OLD_SUBSCRIPTIONS).values(account_id=tenant.account_id))
        transport = httpx.ASGITransport(app=create_app(runtime.settings, runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/public/v1") as api:
            listed = (await api.get("/webhooks", headers=tenant.headers)).json()
    finally:
        await runtime.db.dispose()
    assert {uuid.UUID(h["id"]): (h["api_key"], h["signing_secret"]) for h in listed} == secrets


async def test_downgrade_decrypts_and_upgrade_encrypts_again(
    database_at_0005: Database, keys: Settings
) -> None:
    db = database_at_0005
    secrets = await _store_plaintext(db)
    await asyncio.to_thread(upgrade, db.url, AFTER)
    await asyncio.to_thread(downgrade, db.url, BEFORE)
    rows = await _raw_rows(db)
    assert {
        webhook_id: (row["api_key"], row["signing_secret"]) for webhook_id, row in rows.items()
    } == secrets
    assert not any("signing_secret_sealed" in row or "api_key_sealed" in row for row in rows.values())
    await asyncio.to_thread(upgrade, db.url, AFTER)
    rows = await _raw_rows(db)
    assert {webhook_id: _opened(keys, webhook_id, row) for webhook_id, row in rows.items()} == secrets


async def test_keys_that_do_not_fit_stop_the_migration_with_nothing_changed(
    database_at_0005: Database, keys: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = database_at_0005
    secrets = await _store_plaintext(db)
    monkeypatch.setenv("RENTENGINE_DATA_ENCRYPTION_KEY", "not-a-key")
    # Refused by the settings themselves, before the migration reads or writes a row.
    with pytest.raises(ValidationError, match="base64 of 32 random bytes"):
        await asyncio.to_thread(upgrade, db.url, AFTER)
    assert await _revision(db) == BEFORE
    rows = await _raw_rows(db)
    assert {
        webhook_id: (row["api_key"], row["signing_secret"]) for webhook_id, row in rows.items()
    } == secrets

    if keys.data_encryption_key:
        monkeypatch.setenv("RENTENGINE_DATA_ENCRYPTION_KEY", keys.data_encryption_key)
    else:
        monkeypatch.delenv("RENTENGINE_DATA_ENCRYPTION_KEY")
    await asyncio.to_thread(upgrade, db.url, AFTER)
    sealed = await _raw_rows(db)
    # Another key and another secret key: the downgrade cannot decrypt, and must not write garbage.
    monkeypatch.setenv("RENTENGINE_DATA_ENCRYPTION_KEY", new_key())
    monkeypatch.setenv("RENTENGINE_SECRET_KEY", TEST_SECRET[::-1])
    with pytest.raises(SealError, match="not configured"):
        await asyncio.to_thread(downgrade, db.url, BEFORE)
    assert await _revision(db) == AFTER
    assert await _raw_rows(db) == sealed
