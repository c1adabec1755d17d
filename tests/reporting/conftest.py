from collections.abc import Iterator

import pytest

from rentengine.kit.clock import set_clock
from tests.showings.helpers import NOW, Clock


@pytest.fixture
def clock() -> Iterator[Clock]:
    """The clock pinned at `NOW` (a Wednesday, 06:00 in Chicago); tests move it by hand."""
    pinned = Clock(NOW)
    set_clock(lambda: pinned.now)
    yield pinned
    set_clock(None)
