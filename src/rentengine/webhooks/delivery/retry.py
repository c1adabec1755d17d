"""The retry policy: a pure function of the retry number and the receiver's `Retry-After`."""

import math
import random
from datetime import datetime
from email.utils import parsedate_to_datetime

MAX_DELAY_SECONDS = 86_400.0
MIN_RETRY_AFTER_SECONDS = 1.0
GROWTH = 2.5
JITTER = 0.10


def backoff_seconds(retry_number: int) -> float:
    """Retry k waits min(1 day, e^(2.5·k)) s: 12 s, 2 m 28 s, 30 m 8 s, 6 h 7 m, then 24 h."""
    if retry_number < 1:
        raise ValueError("retries are numbered from 1")
    exponent = GROWTH * retry_number
    # e^(2.5·k) passes a day at k = 5; avoid computing huge powers for large k.
    return (
        MAX_DELAY_SECONDS
        if exponent > math.log(MAX_DELAY_SECONDS)
        else min(MAX_DELAY_SECONDS, math.exp(exponent))
    )


def next_delay(
    retry_number: int, retry_after: float | None = None, rng: random.Random | None = None
) -> float:
    """Seconds to wait before retry `retry_number`; a receiver's Retry-After replaces the backoff."""
    if retry_after is not None:
        return min(MAX_DELAY_SECONDS, max(MIN_RETRY_AFTER_SECONDS, retry_after))
    base = backoff_seconds(retry_number)
    # Up to 10 % jitter spreads retries of many deliveries that failed together.
    return base * (1.0 + (rng or random).uniform(0.0, JITTER))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """`Retry-After` (delta-seconds or HTTP-date) as seconds from `now`; None when absent or invalid."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return (when - now).total_seconds()
