"""Telling a lost database connection from other failures (no SQLAlchemy import: the mock uses it too)."""


def is_unreachable(exc: BaseException) -> bool:
    """The database (or the pooler in front of it) refused the connection or dropped it before COMMIT:
    nothing of the transaction was applied, and the same request may succeed a moment later."""
    # SQLAlchemy's DBAPIError says whether the driver's error meant a lost connection.
    if getattr(exc, "connection_invalidated", False) is True:
        return True
    # asyncpg raises OSError itself when no address of the host accepts ("Multiple exceptions: …").
    return isinstance(exc, ConnectionError | TimeoutError) or type(exc) is OSError
