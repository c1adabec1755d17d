"""What the database and the receiver say happened, and the arithmetic on both."""

import math
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func, select

from rentengine.db.session import Database
from rentengine.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

# A delivery as both sides can name it: (URL path of the subscription, webhook-id).
Key = tuple[str, str]


@dataclass(frozen=True)
class Enqueued:
    """The deliveries of one account's subscriptions, read from the database."""

    created_at: dict[Key, float]  # delivery -> its created_at (Unix seconds)
    statuses: Counter[str]
    attempts: int  # attempt rows the workers recorded

    @property
    def deliveries(self) -> int:
        return len(self.created_at)

    @property
    def events(self) -> int:
        return len({event_id for _, event_id in self.created_at})


async def enqueued(database_url: str, account_id: str) -> Enqueued:
    db = Database(database_url, pool_size=1)
    account = uuid.UUID(account_id)
    columns = (WebhookSubscription.url, WebhookDelivery.event_id, WebhookDelivery.created_at)
    try:
        async with db.transaction(writes=False) as session:
            rows = (
                await session.execute(
                    select(*columns, WebhookDelivery.status)
                    .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.webhook_id)
                    .where(WebhookDelivery.account_id == account)
                )
            ).all()
            attempts = await session.scalar(
                select(func.count())
                .select_from(WebhookAttempt)
                .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
                .where(WebhookDelivery.account_id == account)
            )
    finally:
        await db.dispose()
    return Enqueued(
        created_at={(urlsplit(url).path, event_id): at.timestamp() for url, event_id, at, _ in rows},
        statuses=Counter(status for *_, status in rows),
        attempts=int(attempts or 0),
    )


@dataclass(frozen=True)
class Received:
    """The receiver's log: every request it answered, in arrival order."""

    records: list[tuple[str, str, int, float]]

    @property
    def first_success(self) -> dict[Key, float]:
        """delivery -> arrival time of its first 2xx."""
        first: dict[Key, float] = {}
        for path, webhook_id, status, at in self.records:
            if 200 <= status < 300 and (path, webhook_id) not in first:
                first[path, webhook_id] = at
        return first

    @property
    def successes(self) -> int:
        return sum(1 for _, _, status, _ in self.records if 200 <= status < 300)

    @property
    def failures(self) -> int:
        return len(self.records) - self.successes


async def receiver_stats(client: httpx.AsyncClient, receiver: str) -> dict[str, Any]:
    response = await client.get(f"{receiver}/_bench/stats")
    response.raise_for_status()
    stats: dict[str, Any] = response.json()
    return stats


async def received(client: httpx.AsyncClient, receiver: str) -> Received:
    response = await client.get(f"{receiver}/_bench/records")
    response.raise_for_status()
    return Received([(str(p), str(i), int(s), float(t)) for p, i, s, t in response.json()])


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0-100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, so the printed result can be pasted into docs/performance.md as is."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


async def sample_payload(database_url: str, account_id: str) -> str:
    """The body of one real delivery, so that direct load on the receiver has the same size and shape."""
    db = Database(database_url, pool_size=1)
    try:
        async with db.transaction(writes=False) as session:
            payload = await session.scalar(
                select(WebhookDelivery.payload)
                .where(WebhookDelivery.account_id == uuid.UUID(account_id))
                .limit(1)
            )
    finally:
        await db.dispose()
    if payload is None:
        raise RuntimeError("no delivery to copy a payload from")
    return payload
