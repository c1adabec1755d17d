"""The collector pause while the application loads: paused inside, restored after, even on errors."""

import gc
from collections.abc import Iterator

import pytest

from rentengine.kit.startup import loading


@pytest.fixture
def collector_enabled() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_the_collector_is_paused_while_loading_and_runs_again_after(collector_enabled: None) -> None:
    with loading():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_while_loading_still_restores_the_collector(collector_enabled: None) -> None:
    with pytest.raises(RuntimeError), loading():
        raise RuntimeError("import failed")
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused(collector_enabled: None) -> None:
    gc.disable()
    with loading():
        pass
    assert not gc.isenabled()
