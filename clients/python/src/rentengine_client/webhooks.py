"""Verifying the webhook requests a RentEngine server sends (§19 of the API): the Standard Webhooks
signature (through the `standardwebhooks` library), the timestamp tolerance, the `X-API-Key` compared in
constant time, and the payload parsed into a typed `WebhookEvent`."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

from standardwebhooks.webhooks import Webhook

from .errors import WebhookVerificationError
from .models import PayloadOut

WebhookEvent = PayloadOut
"""`{type, table, record, old_record}`: `record` is null for DELETE, `old_record` for INSERT."""

_TYPES = frozenset({"INSERT", "UPDATE", "DELETE"})


class WebhookVerifier:
    """Checks one subscription's requests: `secret` is its `signing_secret` (`whsec_…`), `api_key` its
    `api_key` (None when it has none: then no `X-API-Key` is required), `tolerance` the seconds a
    `webhook-timestamp` may differ from now."""

    def __init__(self, secret: str, *, api_key: str | None = None, tolerance: float = 300.0) -> None:
        try:
            self._webhook = Webhook(secret)
        except Exception as exc:  # the library raises several kinds
            raise ValueError("the signing secret is not a `whsec_` base64 secret") from exc
        self._api_key = api_key
        self.tolerance = tolerance

    def verify(self, body: bytes | str, headers: Mapping[str, str]) -> WebhookEvent:
        """The event, once the request is authentic; raises `WebhookVerificationError` otherwise.
        `body` must be the raw request body, exactly as received."""
        self.verify_signature(body, headers)
        return parse_event(body)

    def verify_signature(self, body: bytes | str, headers: Mapping[str, str]) -> None:
        """Checks the `X-API-Key`, the timestamp and the signature of a request, not its payload."""
        lowered = {key.lower(): value for key, value in headers.items()}
        if self._api_key is not None:
            given = lowered.get("x-api-key", "")
            if not hmac.compare_digest(given.encode(), self._api_key.encode()):
                raise WebhookVerificationError("X-API-Key does not match")
        msg_id = lowered.get("webhook-id")
        stamp = lowered.get("webhook-timestamp")
        signatures = lowered.get("webhook-signature")
        if not (msg_id and stamp and signatures):
            raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature")
        try:
            seconds = int(stamp)
        except ValueError:
            raise WebhookVerificationError("webhook-timestamp is not Unix seconds") from None
        if abs(time.time() - seconds) > self.tolerance:
            raise WebhookVerificationError("webhook-timestamp is outside the tolerance")
        text = body.decode() if isinstance(body, bytes) else body
        expected = self._webhook.sign(msg_id, datetime.fromtimestamp(seconds, tz=UTC), text).split(",", 1)[1]
        if not any(self._matches(candidate, expected) for candidate in signatures.split(" ")):
            raise WebhookVerificationError("no matching signature")

    @staticmethod
    def _matches(candidate: str, expected: str) -> bool:
        version, _, signature = candidate.partition(",")
        if version != "v1":
            return False
        try:
            return hmac.compare_digest(base64.b64decode(signature), base64.b64decode(expected))
        except (binascii.Error, ValueError):
            return False


def parse_event(body: bytes | str) -> WebhookEvent:
    """The payload as a `WebhookEvent`, checking its four keys (no signature check: use `WebhookVerifier`)."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        raise WebhookVerificationError("the body is not JSON") from None
    if not isinstance(data, dict) or set(data) != {"type", "table", "record", "old_record"}:
        raise WebhookVerificationError("the payload is not {type, table, record, old_record}")
    if data["type"] not in _TYPES or not isinstance(data["table"], str):
        raise WebhookVerificationError("unknown event type")
    for key in ("record", "old_record"):
        if data[key] is not None and not isinstance(data[key], dict):
            raise WebhookVerificationError(f"{key} is not an object or null")
    return cast(WebhookEvent, data)
