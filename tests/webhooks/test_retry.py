"""The retry policy (API.md §19.3): the backoff schedule, its jitter, and the receiver's Retry-After."""

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from rentengine.kit.clock import set_clock
from rentengine.webhooks.delivery.retry import backoff_seconds, next_delay, parse_retry_after
from rentengine.webhooks.delivery.sender import AttemptResult, Target
from rentengine.webhooks.delivery.service import Job, decide

NOW = datetime(2024, 10, 5, 18, 53, 3, tzinfo=UTC)
DAY = 86_400.0


@pytest.mark.parametrize(
    ("retry", "shown"),
    [(1, "0:00:12"), (2, "0:02:28"), (3, "0:30:08"), (4, "6:07:06"), (5, "1 day, 0:00:00")],
)
def test_the_schedule_reads_as_documented(retry: int, shown: str) -> None:
    assert str(timedelta(seconds=int(backoff_seconds(retry)))) == shown


def test_every_retry_after_the_fourth_waits_one_day() -> None:
    assert [backoff_seconds(k) for k in range(5, 12)] == [DAY] * 7
    assert backoff_seconds(10_000) == DAY  # no overflow however large the retry number


def test_retries_are_numbered_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        backoff_seconds(0)


@pytest.mark.parametrize("retry", [1, 2, 3, 4, 5, 10])
def test_jitter_adds_zero_to_ten_percent(retry: int) -> None:
    base = backoff_seconds(retry)
    rng = random.Random(retry)
    delays = [next_delay(retry, rng=rng) for _ in range(2_000)]
    assert all(base <= d <= base * 1.10 for d in delays)
    # The whole band is used, not one end of it.
    assert min(delays) < base * 1.01
    assert max(delays) > base * 1.09


def test_retry_after_replaces_the_backoff_within_one_second_and_one_day() -> None:
    assert next_delay(1, retry_after=1.0) == 1.0
    assert next_delay(5, retry_after=30.0) == 30.0  # even when shorter than the backoff
    assert next_delay(1, retry_after=7_200.0) == 7_200.0  # and when longer
    assert next_delay(1, retry_after=0.0) == 1.0
    assert next_delay(1, retry_after=-40.0) == 1.0  # a date in the past
    assert next_delay(1, retry_after=10 * DAY) == DAY


def test_retry_after_in_seconds() -> None:
    assert parse_retry_after("120", NOW) == 120.0
    assert parse_retry_after(" 1 ", NOW) == 1.0
    assert parse_retry_after("0", NOW) == 0.0


def test_retry_after_as_an_http_date() -> None:
    later = NOW + timedelta(minutes=5)
    assert parse_retry_after(format_datetime(later, usegmt=True), NOW) == 300.0
    assert parse_retry_after("Sat, 05 Oct 2024 18:52:03 GMT", NOW) == -60.0


@pytest.mark.parametrize("value", [None, "", "   ", "soon", "-5", "1.5", "Sat, 05 Oct 2024 18:52:03"])
def test_an_absent_or_unreadable_retry_after_is_ignored(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


def _job(attempts_before: int, is_test: bool = False) -> Job:
    target = Target(uuid.uuid4(), "https://hooks.example.com/", None, "whsec_x")
    return Job(uuid.uuid4(), "msg_1", "{}", attempts_before, NOW, is_test, NOW, target)


def _answer(status: int | None, retry_after: float | None = None) -> AttemptResult:
    outcome = "succeeded" if status is not None and 200 <= status < 300 else "http_error"
    return AttemptResult(NOW, status, 10, None, None, retry_after, outcome)


@pytest.fixture
def pinned_clock() -> Iterator[None]:
    set_clock(lambda: NOW)
    yield
    set_clock(None)


@pytest.mark.usefixtures("pinned_clock")
def test_a_failure_is_retried_until_the_retries_run_out() -> None:
    # max 2 retries: attempts 1 and 2 are followed by a retry, attempt 3 is the last.
    assert decide(_job(0), _answer(503, 1.0), 2) == ("retrying", NOW + timedelta(seconds=1))
    status, when = decide(_job(1), _answer(None), 2)
    assert status == "retrying"
    assert when is not None
    assert timedelta(seconds=148.4) <= when - NOW <= timedelta(seconds=148.5 * 1.1)
    assert decide(_job(2), _answer(500), 2) == ("dead_lettered", None)
    assert decide(_job(0), _answer(500), 0) == ("dead_lettered", None)


@pytest.mark.usefixtures("pinned_clock")
def test_success_gone_and_test_sends_are_final() -> None:
    assert decide(_job(3), _answer(204), 10) == ("succeeded", None)
    assert decide(_job(0), _answer(302), 10)[0] == "retrying"  # a redirect is a failure
    assert decide(_job(0), _answer(410), 10) == ("dead_lettered", None)
    assert decide(_job(0, is_test=True), _answer(503, 1.0), 10) == ("dead_lettered", None)
