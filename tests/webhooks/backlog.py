"""Subscriptions and their deliveries written straight into the tables, as the outbox writes them,
for tests that need a backlog of thousands without making each change through the API."""

import uuid
from collections.abc import Sequence

from rentengine.changes.types import Change
from rentengine.db.session import Database
from rentengine.kit.clock import utc_now
from rentengine.kit.ids import new_uuid
from rentengine.webhooks.delivery.outbox import Listener, delivery_rows, insert_deliveries
from rentengine.webhooks.delivery.signing import new_signing_secret
from rentengine.webhooks.models import WebhookSubscription
from rentengine.webhooks.secrets import keyring_of, seal_signing_secret
from tests.conftest import make_settings

KEYRING = keyring_of(make_settings("sqlite:///unused.db"))


async def subscribe(db: Database, account_id: uuid.UUID, url: str) -> Listener:
    """An enabled subscription to unit INSERTs, written straight into the table."""
    now, webhook_id = utc_now(), new_uuid()
    async with db.transaction() as session:
        session.add(
            WebhookSubscription(
                id=webhook_id,
                account_id=account_id,
                url=url,
                tables=["units"],
                event_types=["INSERT"],
                api_key_sealed=None,
                signing_secret_sealed=seal_signing_secret(KEYRING, webhook_id, new_signing_secret()),
                enabled=True,
                created_at=now,
                updated_at=now,
            )
        )
    return Listener(webhook_id, account_id, frozenset({"units"}), frozenset({"INSERT"}))


async def enqueue(db: Database, subscriptions: Sequence[Listener], count: int, commits: int = 1) -> None:
    """`count` unit INSERTs for each subscription, in `commits` transactions, as the outbox writes them."""
    account_id = subscriptions[0].account_id
    per_commit = count // commits
    for _ in range(commits):
        changes = [
            Change.insert("units", account_id, {"id": n, "account_id": str(account_id)})
            for n in range(per_commit)
        ]
        async with db.transaction() as session:
            await insert_deliveries(session, delivery_rows(changes, subscriptions))
