"""The one clock. Tests pin time by replacing `_now`."""

from collections.abc import Callable
from datetime import UTC, datetime

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def utc_now() -> datetime:
    return _now()


def set_clock(now: Callable[[], datetime] | None) -> None:
    """Pins the clock (tests); `None` restores the real one."""
    global _now
    _now = now if now is not None else (lambda: datetime.now(UTC))


def isoformat_z(value: datetime) -> str:
    """RFC 3339 in UTC with microseconds and a `Z`, the wire format of every timestamp."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
