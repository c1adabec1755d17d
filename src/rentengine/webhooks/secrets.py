"""A subscription's two secrets, stored encrypted (`kit.encryption`): the signing secret and the
receiver's API key. Both are sent or used on every delivery, so they are sealed, not hashed.

The columns (`signing_secret_sealed`, `api_key_sealed`) hold sealed text only; everything that needs
a plaintext opens it here, with the process's keyring, and a value that does not open raises
`SealError` rather than being sent or shown.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.kit.encryption import Keyring, SealError
from rentengine.settings import Settings
from rentengine.webhooks.models import WebhookSubscription

__all__ = ["SealError", "keyring_of"]

S = WebhookSubscription


def keyring_of(settings: Settings) -> Keyring:
    """The keyring of these settings (built once per distinct pair of keys)."""
    return Keyring.from_config(settings.data_encryption_key, settings.secret_key)


def environment_keyring() -> Keyring:
    """The keyring of the settings in the environment (what the CLI reads its settings from)."""
    return keyring_of(Settings())


def context(webhook_id: uuid.UUID, field: str) -> str:
    """What a sealed value is: it opens only as this field of this subscription."""
    return f"webhook_subscriptions.{field}:{webhook_id}"


def seal_signing_secret(keyring: Keyring, webhook_id: uuid.UUID, secret: str) -> str:
    return keyring.seal(secret, context(webhook_id, "signing_secret"))


def seal_api_key(keyring: Keyring, webhook_id: uuid.UUID, api_key: str | None) -> str | None:
    return None if api_key is None else keyring.seal(api_key, context(webhook_id, "api_key"))


def open_signing_secret(keyring: Keyring, webhook_id: uuid.UUID, sealed: str) -> str:
    return keyring.open(sealed, context(webhook_id, "signing_secret"))


def open_api_key(keyring: Keyring, webhook_id: uuid.UUID, sealed: str | None) -> str | None:
    return None if sealed is None else keyring.open(sealed, context(webhook_id, "api_key"))


def signing_secret_of(keyring: Keyring, row: WebhookSubscription) -> str:
    return open_signing_secret(keyring, row.id, row.signing_secret_sealed)


def api_key_of(keyring: Keyring, row: WebhookSubscription) -> str | None:
    return open_api_key(keyring, row.id, row.api_key_sealed)


def refresh(keyring: Keyring, row: WebhookSubscription) -> None:
    """Seals again, with the keyring's first key, the row's secrets sealed with another one."""
    if keyring.needs_reseal(row.signing_secret_sealed):
        row.signing_secret_sealed = seal_signing_secret(keyring, row.id, signing_secret_of(keyring, row))
    if row.api_key_sealed is not None and keyring.needs_reseal(row.api_key_sealed):
        row.api_key_sealed = seal_api_key(keyring, row.id, api_key_of(keyring, row))


async def reseal(session: AsyncSession, keyring: Keyring, batch: int = 500) -> int:
    """Seals again, with the keyring's first key, every secret sealed with another one (a key
    rotation's last step); returns how many subscriptions changed. Raises SealError, changing
    nothing that the caller commits, when a value does not open."""
    changed = 0
    last: uuid.UUID | None = None
    while True:
        stmt = select(S.id, S.signing_secret_sealed, S.api_key_sealed).order_by(S.id).limit(batch)
        if last is not None:
            stmt = stmt.where(S.id > last)
        rows: Sequence[tuple[uuid.UUID, str, str | None]] = [
            (r.id, r.signing_secret_sealed, r.api_key_sealed) for r in await session.execute(stmt)
        ]
        for webhook_id, secret, api_key in rows:
            stale = keyring.needs_reseal(secret) or (api_key is not None and keyring.needs_reseal(api_key))
            if not stale:
                continue
            values = {
                "signing_secret_sealed": seal_signing_secret(
                    keyring, webhook_id, open_signing_secret(keyring, webhook_id, secret)
                ),
                "api_key_sealed": seal_api_key(
                    keyring, webhook_id, open_api_key(keyring, webhook_id, api_key)
                ),
            }
            await session.execute(
                update(S)
                .where(S.id == webhook_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            changed += 1
        if len(rows) < batch:
            return changed
        last = rows[-1][0]
