"""One delivery attempt: the target check, the signed POST, and what the receiver answered.

The sender holds one pooled `httpx.AsyncClient` for the worker's lifetime. It never follows
redirects (a 3xx is a failure) and ignores proxy environment variables: a proxy would resolve the
target itself and so bypass the private-address check made just before each attempt.
"""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import httpx

from rentengine import __version__
from rentengine.kit.clock import utc_now
from rentengine.settings import Settings
from rentengine.webhooks.retry import parse_retry_after
from rentengine.webhooks.signing import delivery_headers
from rentengine.webhooks.urls import refused_target

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
    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client

    @classmethod
    @asynccontextmanager
    async def open(cls, settings: Settings) -> AsyncIterator["Sender"]:
        size = settings.webhook_concurrency
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        async with httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds,
            follow_redirects=False,
            limits=limits,
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        ) as client:
            yield cls(settings, client)

    async def attempt(self, target: Target, event_id: str, payload: str, test: bool = False) -> AttemptResult:
        """Checks the target again, then POSTs the payload once; never raises for the receiver's faults."""
        refusal = await refused_target(target.url, self.settings.webhook_allow_private_targets)
        attempted_at = utc_now()
        if refusal is not None:
            return AttemptResult(attempted_at, None, 0, None, f"target refused: {refusal}", None, "refused")
        timestamp = int(attempted_at.timestamp())
        headers = delivery_headers(
            target.signing_secret, event_id, timestamp, payload, target.api_key, test=test
        )
        started = time.monotonic()
        try:
            # httpx's timeout bounds each phase; this bounds the whole exchange (a slow-drip answer).
            async with asyncio.timeout(self.settings.webhook_timeout_seconds):
                return await self._post(target.url, payload, headers, attempted_at, started)
        except (TimeoutError, httpx.TimeoutException):
            error = f"timed out after {self.settings.webhook_timeout_seconds:g} s"
            return AttemptResult(attempted_at, None, _ms_since(started), None, error, None, "timeout")
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
            error = clean_text(f"connection failed: {type(exc).__name__}: {exc}".rstrip(": "))
            return AttemptResult(
                attempted_at, None, _ms_since(started), None, error, None, "connection_error"
            )

    async def _post(
        self, url: str, payload: str, headers: dict[str, str], attempted_at: datetime, started: float
    ) -> AttemptResult:
        async with self.client.stream("POST", url, content=payload.encode(), headers=headers) as response:
            body = await self._read_start(response)
        duration = _ms_since(started)
        code = response.status_code
        if 200 <= code < 300:
            return AttemptResult(attempted_at, code, duration, body, None, None, "succeeded")
        error = None
        if 300 <= code < 400:
            error = clean_text(f"redirect to {response.headers.get('location', '?')} not followed")
        retry_after = parse_retry_after(response.headers.get("retry-after"), attempted_at)
        return AttemptResult(attempted_at, code, duration, body, error, retry_after, "http_error")

    async def _read_start(self, response: httpx.Response) -> str | None:
        """The first `webhook_response_log_bytes` of the answer; the rest is never downloaded."""
        limit = self.settings.webhook_response_log_bytes
        if limit == 0:
            return None
        kept = bytearray()
        async for chunk in response.aiter_bytes():
            kept.extend(chunk)
            if len(kept) >= limit:
                break
        return clean_text(bytes(kept[:limit]).decode("utf-8", errors="replace")) if kept else None


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
