from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from rentengine.kit.clock import set_clock


@dataclass
class Clock:
    """A pinned clock that tests move forward by hand."""

    now: datetime

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    pinned = Clock(datetime(2031, 1, 1, tzinfo=UTC))
    set_clock(lambda: pinned.now)
    yield pinned
    set_clock(None)
