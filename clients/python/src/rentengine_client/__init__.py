"""A Python client of the RentEngine Public API 1.1.1, for the hosted API and self-hosted servers alike."""

from . import models
from ._resources import METHODS, OPERATIONS
from ._transport import HOSTED_BASE_URL
from .client import AsyncRentEngine, RentEngine, __version__
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RentEngineError,
    ServerError,
    WebhookVerificationError,
)
from .webhooks import WebhookEvent, WebhookVerifier, parse_event

__all__ = [
    "HOSTED_BASE_URL",
    "METHODS",
    "OPERATIONS",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncRentEngine",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RentEngine",
    "RentEngineError",
    "ServerError",
    "WebhookEvent",
    "WebhookVerificationError",
    "WebhookVerifier",
    "__version__",
    "models",
    "parse_event",
]
