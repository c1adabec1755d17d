"""Standard Webhooks signatures (the maintained `standardwebhooks` package) and signing secrets."""

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_signing_secret() -> str:
    """`whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, event_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` header value for one attempt."""
    return Webhook(secret).sign(event_id, datetime.fromtimestamp(timestamp, UTC), body)


def delivery_headers(
    secret: str, event_id: str, timestamp: int, body: str, api_key: str | None, test: bool = False
) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, event_id, timestamp, body),
    }
    if api_key:
        headers["X-API-Key"] = api_key
    if test:
        headers["webhook-test"] = "true"
    return headers
