"""The id of the request being handled, kept in a context variable for everything it calls.

A well-formed `X-Request-Id` from the balancer is kept, so one id follows a request from the edge to
the logs, the audit entry and the webhook deliveries it causes; anything else is replaced by a new
one. "Well-formed" is strict because the id is echoed in a response header, written into log lines
and stored: at most 128 characters, ASCII letters, digits and `-_.:@+=/~` only (no spaces, no CR/LF).
"""

import os
import re
from contextvars import ContextVar, Token

HEADER = b"x-request-id"
MAX_LENGTH = 128
_WELL_FORMED = re.compile(rb"[A-Za-z0-9._:@+=/~-]{1,%d}" % MAX_LENGTH)

_current: ContextVar[str | None] = ContextVar("rentengine_request_id", default=None)


def new_request_id() -> str:
    """32 hex digits of randomness (the form of a UUID4 without its dashes)."""
    return os.urandom(16).hex()


def accepted_request_id(value: bytes | None) -> str:
    """The incoming header's value when it is well-formed, else a new id."""
    if value is not None and _WELL_FORMED.fullmatch(value):
        return value.decode("ascii")
    return new_request_id()


def current_request_id() -> str | None:
    """The id of the request this code runs for; None outside a request (CLI, delivery worker)."""
    return _current.get()


def bind_request_id(request_id: str | None) -> Token[str | None]:
    """Makes `request_id` the current one; returns the token that `unbind_request_id` takes."""
    return _current.set(request_id)


def unbind_request_id(token: Token[str | None]) -> None:
    _current.reset(token)
