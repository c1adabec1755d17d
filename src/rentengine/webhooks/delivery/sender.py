"""One delivery attempt: the target check, the signed POST, and what the receiver answered.

The sender holds one keep-alive `HttpClient` (see `http11`) for the worker's lifetime. It never
follows redirects (a 3xx is a failure) and uses no proxy: a proxy would resolve the target itself
and so bypass the private-address check made just before each attempt. The host is resolved once
per attempt, by that check, and the client connects to the very addresses it passed.
"""

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from rentengine import __version__
from rentengine.kit.clock import utc_now
from rentengine.settings import Settings
from rentengine.webhooks.delivery.http11 import HttpClient, HttpError, Response
from rentengine.webhooks.delivery.retry import parse_retry_after
from rentengine.webhooks.delivery.signing import delivery_headers
from rentengine.webhooks.urls import REFUSED, check_target

log = logging.getLogger(__name__)

USER_AGENT = f"rentengine-webhooks/{__version__}"


@dataclass(frozen=True)
class Target:
    """What an attempt needs from the subscription."""

    webhook_id: uuid.UUID
    url: str
    api_key: str | None
    signing_secret: str


@dataclass(frozen=True)
class AttemptResult:
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    response_body: str | None
    error: str | None
    # The receiver's Retry-After, as seconds from `attempted_at`.
    retry_after: float | None
    # The metrics label: succeeded, http_error, timeout, connection_error or refused.
    outcome: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def clean_text(text: str) -> str:
    """PostgreSQL text cannot hold NUL characters, and a receiver may well answer with some."""
    return text.replace("\x00", "\ufffd")


class Sender:
    def __init__(self, settings: Settings, client: HttpClient) -> None:
        self.settings = settings
        self.client = client

    @classmethod
    @asynccontextmanager
    async def open(cls, settings: Settings) -> AsyncIterator["Sender"]:
        client = HttpClient({"User-Agent": USER_AGENT, "Accept": "*/*"}, settings.webhook_concurrency)
        try:
            yield cls(settings, client)
        finally:
            await client.aclose()

    async def attempt(
        self, target: Target, event_id: str, payload: str, test: bool = False, request_id: str | None = None
    ) -> AttemptResult:
        """Checks the target again, then POSTs the payload once; never raises for the receiver's faults.

        `request_id`, the request that made the change, is sent as `X-Request-Id` so that the receiver's
        log can be matched with ours.
        """
        check = await check_target(target.url, self.settings.webhook_allow_private_targets)
        attempted_at = utc_now()
        if not check.allowed:
            # The delivery log is read by key holders: it says no more than the API would.
            log.info("webhook %s: target %s refused: %s", target.webhook_id, target.url, check.why)
            return AttemptResult(attempted_at, None, 0, None, f"target refused: {REFUSED}", None, "refused")
        timestamp = int(attempted_at.timestamp())
        headers = delivery_headers(
            target.signing_secret, event_id, timestamp, payload, target.api_key, test=test
        )
        if request_id:
            headers["X-Request-Id"] = request_id
        started = time.monotonic()
        try:
            # One bound for the whole exchange: connecting, sending, and a slow-drip answer.
            async with asyncio.timeout(self.settings.webhook_timeout_seconds):
                response = await self.client.post(
                    target.url,
                    payload.encode(),
                    headers,
                    self.settings.webhook_response_log_bytes,
                    check.addresses,
                )
        except TimeoutError:
            error = f"timed out after {self.settings.webhook_timeout_seconds:g} s"
            return AttemptResult(attempted_at, None, _ms_since(started), None, error, None, "timeout")
        except (HttpError, OSError, ValueError) as exc:
            error = clean_text(f"connection failed: {type(exc).__name__}: {exc}".rstrip(": "))
            return AttemptResult(
                attempted_at, None, _ms_since(started), None, error, None, "connection_error"
            )
        return _result(response, attempted_at, _ms_since(started))


def _result(response: Response, attempted_at: datetime, duration: int) -> AttemptResult:
    code = response.status
    body = clean_text(response.body.decode("utf-8", errors="replace")) if response.body else None
    if 200 <= code < 300:
        return AttemptResult(attempted_at, code, duration, body, None, None, "succeeded")
    error = None
    if 300 <= code < 400:
        error = clean_text(f"redirect to {response.headers.get('location', '?')} not followed")
    retry_after = parse_retry_after(response.headers.get("retry-after"), attempted_at)
    return AttemptResult(attempted_at, code, duration, body, error, retry_after, "http_error")


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
