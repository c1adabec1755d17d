"""A circuit breaker per subscription: a receiver that keeps failing is probed, not flooded.

Without it, a subscription whose receiver refuses everything (down, misconfigured) with a large
backlog has its lane send one request after another as fast as the receiver refuses them, each
refusal a recorded attempt: the worker's time and the database's writes go to deliveries that will
fail, while every other subscription waits behind them, and every delivery of the backlog spends
one of its retries on the outage.

After `FAILURES_TO_OPEN` failed attempts in a row the breaker opens: the worker hands the lane's
unsent claims back (still due, no attempt spent on them) and leaves the subscription out of its
claims for a pause, one second at first and twice as long after each failed probe, up to
`MAX_PAUSE_SECONDS` (or the receiver's own `Retry-After`, within the same cap). When the pause ends,
the next claim takes the subscription's oldest due deliveries again and the first attempt is the
probe: a success closes the breaker, a failure opens it for the next, longer, pause. So a receiver
that stays down costs one request every half minute, and one that comes back is sent its backlog
within half a minute.

The state is the worker's own (each worker process probes for itself) and lives only as long as
the subscription keeps failing.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

FAILURES_TO_OPEN = 5
FIRST_PAUSE_SECONDS = 1.0
MAX_PAUSE_SECONDS = 30.0


@dataclass(slots=True)
class _State:
    failures: int = 0  # in a row
    pause: float = 0.0  # the last pause; 0 while the breaker has not opened
    until: float = 0.0  # on the breaker's clock


class Breakers:
    """The breakers of one worker's subscriptions; the clock is monotonic seconds."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        failures_to_open: int = FAILURES_TO_OPEN,
        first_pause: float = FIRST_PAUSE_SECONDS,
        max_pause: float = MAX_PAUSE_SECONDS,
    ) -> None:
        self._clock = clock
        self._failures_to_open = failures_to_open
        self._first_pause = first_pause
        self._max_pause = max_pause
        self._states: dict[uuid.UUID, _State] = {}

    def close(self, webhook_id: uuid.UUID) -> None:
        """The receiver answered 2xx, or the subscription is gone (a 410): its state is dropped."""
        self._states.pop(webhook_id, None)

    def failed(self, webhook_id: uuid.UUID, retry_after: float | None = None) -> float | None:
        """Counts a failed attempt; the pause in seconds when the breaker opens now, else None.

        Failures of attempts started before the breaker opened (a lane keeps several in flight)
        arrive while it is open: they neither reopen it nor lengthen the pause.
        """
        state = self._states.setdefault(webhook_id, _State())
        now = self._clock()
        if state.until > now:
            return None
        state.failures += 1
        if state.failures < self._failures_to_open:
            return None
        state.pause = min(self._max_pause, 2 * state.pause) if state.pause else self._first_pause
        asked = min(self._max_pause, retry_after or 0.0)
        pause = max(state.pause, asked)
        state.until = now + pause
        return pause

    def paused(self) -> list[uuid.UUID]:
        """The subscriptions whose breaker is open now: claims leave them out."""
        now = self._clock()
        return [webhook_id for webhook_id, state in self._states.items() if state.until > now]
