"""Standard Webhooks signatures and signing secrets.

A signature is `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")) with the key decoded from
the secret exactly as the maintained `standardwebhooks` package does; the tests check it against the
reference vector and against that package's verifier. It is computed here with `hmac.digest` (one C
call), since the worker signs every attempt.
"""

import base64
import hmac
import secrets
from functools import lru_cache

SECRET_PREFIX = "whsec_"


def new_signing_secret() -> str:
    """`whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


@lru_cache(maxsize=1024)
def _key(secret: str) -> bytes:
    """The key of a secret, kept: a worker signs with the same few secrets all day."""
    # As standardwebhooks' Webhook(): padding added in case the base64 is unpadded.
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX) + "==")
    if not key:
        raise ValueError("webhook secret may not be empty")
    return key


def sign(secret: str, event_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` header value for one attempt."""
    digest = hmac.digest(_key(secret), f"{event_id}.{timestamp}.{body}".encode(), "sha256")
    return f"v1,{base64.b64encode(digest).decode()}"


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
