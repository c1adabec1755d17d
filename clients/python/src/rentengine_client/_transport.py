"""What the sync and async clients share: building requests, retry decisions and delays, and turning
error responses into exceptions."""

from __future__ import annotations

import email.utils
import random
import time
import urllib.parse
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import httpx

from .errors import _BY_STATUS, APIError, RateLimitedError, ServerError

HOSTED_BASE_URL = "https://app.rentengine.io/api/public/v1"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Answers that say the request was not applied: the only ones after which a POST is sent again
# (a 500, 502 or 504 may come after the change was made).
NOT_APPLIED_STATUSES = frozenset({429, 503})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def query_value(value: Any) -> str:
    """A query value as the API expects it: arrays comma-separated, booleans `true`/`false`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ",".join(query_value(item) for item in value)
    return str(value)


def query(params: Mapping[str, Any] | None) -> dict[str, str]:
    return {key: query_value(value) for key, value in (params or {}).items() if value is not None}


def expand(path: str, values: Mapping[str, Any] | None) -> str:
    for key, value in (values or {}).items():
        path = path.replace("{" + key + "}", urllib.parse.quote(str(value), safe=""))
    return path


def retry_after(response: httpx.Response) -> float | None:
    """The `Retry-After` header in seconds (delta-seconds or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, float(when.timestamp()) - time.time())


class RetryPolicy:
    """Up to `max_retries` retries of 429 and 5xx responses (a POST: of 429 and 503 only, which say that
    nothing was applied), and of connection failures, waiting the
    server's `Retry-After` when it sends one, otherwise exponential backoff with jitter:
    `backoff * 2**attempt`, capped at `max_delay`. A `Retry-After` longer than `max_delay` (a spent daily
    quota) is not waited for: the error is raised at once."""

    def __init__(self, max_retries: int = 3, backoff: float = 0.5, max_delay: float = 60.0) -> None:
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_delay = max_delay

    def should_retry(self, attempt: int, response: httpx.Response | None, method: str = "GET") -> bool:
        if attempt >= self.max_retries:
            return False
        if response is None:
            return True
        retryable = RETRY_STATUSES if method.upper() in IDEMPOTENT_METHODS else NOT_APPLIED_STATUSES
        if response.status_code not in retryable:
            return False
        server = retry_after(response)
        return server is None or server <= self.max_delay

    def delay(self, attempt: int, response: httpx.Response | None) -> float:
        if response is not None:
            server = retry_after(response)
            if server is not None:
                return min(server, self.max_delay)  # longer ones are not retried
        computed: float = min(self.max_delay, self.backoff * 2.0**attempt)
        return computed * (0.5 + random.random() / 2)


def error_for(response: httpx.Response) -> APIError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        error, details = body["error"], body.get("details")
    else:
        error, details = response.reason_phrase or "HTTP error", None
    status = response.status_code
    if status == 429:
        return RateLimitedError(status, error, details, response, retry_after(response))
    if status >= 500:
        return ServerError(status, error, details, response)
    return _BY_STATUS.get(status, APIError)(status, error, details, response)


def result(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise error_for(response)
    if response.status_code == 204 or not response.content:
        return None
    return response.json()


def headers(token: str | None, user_agent: str) -> dict[str, str]:
    out = {"Accept": "application/json", "User-Agent": user_agent}
    if token:
        out["Authorization"] = f"Bearer {token}"
    return out
