"""Exceptions raised by the clients and the webhook verifier."""

from __future__ import annotations

from typing import Any

import httpx


class RentEngineError(Exception):
    """Base class of every exception this package raises."""


class APIConnectionError(RentEngineError):
    """The request did not get a response: connection refused or reset, or a timeout."""


class APITimeoutError(APIConnectionError):
    """The request timed out (see the client's `timeout`)."""


class APIError(RentEngineError):
    """An error response: `status`, and the body's `error` and `details` (§5 of the API)."""

    def __init__(self, status: int, error: str, details: Any = None, response: httpx.Response | None = None):
        super().__init__(f"{status} {error}" + (f": {details}" if details else ""))
        self.status = status
        self.error = error
        self.details = details
        self.response = response


class BadRequestError(APIError):
    """400: validation failed; `details` lists the AJV-style items."""


class AuthenticationError(APIError):
    """401: the token is missing, malformed, expired or revoked."""


class PermissionDeniedError(APIError):
    """403: an account the token's user cannot access."""


class NotFoundError(APIError):
    """404: an unknown path, or a record that does not exist or is not visible."""


class ConflictError(APIError):
    """409: a unique conflict, or a redelivery of a delivery still in flight."""


class RateLimitedError(APIError):
    """429: rate limit or quota exceeded; `retry_after` is the server's `Retry-After` in seconds."""

    def __init__(
        self,
        status: int,
        error: str,
        details: Any = None,
        response: httpx.Response | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(status, error, details, response)
        self.retry_after = retry_after


class ServerError(APIError):
    """A 5xx response (after the retries)."""


class WebhookVerificationError(RentEngineError):
    """A webhook request whose signature, timestamp, API key or payload is not acceptable."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
}
