"""Retries, backoff, `Retry-After`, timeouts and query encoding, on a scripted transport."""

import email.utils
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from rentengine_client import (
    APIConnectionError,
    APITimeoutError,
    AsyncRentEngine,
    RateLimitedError,
    RentEngine,
    ServerError,
)
from rentengine_client._transport import RetryPolicy, retry_after

Handler = Callable[[httpx.Request], httpx.Response]


def scripted(*replies: httpx.Response | Exception) -> tuple[list[httpx.Request], Handler]:
    seen: list[httpx.Request] = []
    queue = list(replies)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        reply = queue.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    return seen, handle


def client(handler: Handler, **options: float) -> RentEngine:
    settings = {"backoff": 0.01, **options}
    return RentEngine("t", base_url="http://api.test/v1", transport=httpx.MockTransport(handler), **settings)  # type: ignore[arg-type]


def test_5xx_and_429_are_retried_then_succeed() -> None:
    seen, handle = scripted(
        httpx.Response(503, json={"error": "Unavailable"}),
        httpx.Response(429, json={"error": "Too many requests"}, headers={"Retry-After": "0"}),
        httpx.Response(200, json=[]),
    )
    assert client(handle).units.list() == []
    assert len(seen) == 3
    assert seen[0].headers["Authorization"] == "Bearer t"


def test_a_post_is_sent_again_only_when_the_server_says_nothing_was_applied() -> None:
    seen, handle = scripted(
        httpx.Response(
            503, json={"error": "Service unavailable, retry shortly"}, headers={"Retry-After": "0"}
        ),
        httpx.Response(201, json={"id": 7}),
    )
    assert client(handle).units.upsert({"id": 7})["id"] == 7
    assert len(seen) == 2
    for status in (500, 502, 504):
        seen, handle = scripted(httpx.Response(status, json={"error": "Bad gateway"}))
        with pytest.raises(ServerError):
            client(handle).units.upsert({"id": 7})
        assert len(seen) == 1, status


def test_the_last_error_is_raised_with_error_and_details() -> None:
    replies = [httpx.Response(500, json={"error": "Internal", "details": [{"x": 1}]}) for _ in range(3)]
    seen, handle = scripted(*replies)
    with pytest.raises(ServerError) as failed:
        client(handle, max_retries=2).units.list()
    assert (failed.value.status, failed.value.error, failed.value.details) == (500, "Internal", [{"x": 1}])
    assert len(seen) == 3
    _, limited = scripted(
        httpx.Response(429, json={"error": "Too many requests"}, headers={"Retry-After": "7"})
    )
    with pytest.raises(RateLimitedError) as raised:
        client(limited, max_retries=0).units.list()
    assert raised.value.retry_after == 7


def test_retry_after_is_waited_and_capped() -> None:
    _, handle = scripted(
        httpx.Response(429, json={"error": "Too many requests"}, headers={"Retry-After": "0.3"}),
        httpx.Response(200, json=[]),
    )
    started = time.monotonic()
    client(handle).units.list()
    assert time.monotonic() - started >= 0.3
    policy = RetryPolicy(max_delay=2.0)
    late = email.utils.format_datetime(datetime.fromtimestamp(time.time() + 30, tz=UTC), usegmt=True)
    response = httpx.Response(429, headers={"Retry-After": late})
    assert 28 <= (retry_after(response) or 0) <= 30
    assert policy.delay(0, response) == 2.0
    assert not policy.should_retry(0, response)  # a wait longer than max_delay is raised at once
    assert policy.should_retry(0, httpx.Response(429, headers={"Retry-After": "2"}))
    assert 0.25 <= RetryPolicy(backoff=0.5).delay(0, None) <= 0.5
    assert 1.0 <= RetryPolicy(backoff=0.5).delay(2, None) <= 2.0


def test_timeouts_are_retried_only_where_repeating_is_harmless() -> None:
    seen, handle = scripted(httpx.ReadTimeout("slow"), httpx.Response(200, json=[]))
    assert client(handle).units.list() == []
    assert len(seen) == 2
    seen, handle = scripted(httpx.ReadTimeout("slow"), httpx.Response(201, json={}))
    with pytest.raises(APITimeoutError):
        client(handle).units.upsert({"id": 1})
    assert len(seen) == 1
    seen, handle = scripted(httpx.ConnectError("refused"), httpx.Response(201, json={"id": 1}))
    assert client(handle).units.upsert({"id": 1})["id"] == 1
    seen, handle = scripted(*[httpx.ConnectError("refused")] * 2)
    with pytest.raises(APIConnectionError):
        client(handle, max_retries=1).units.list()


def test_query_values_are_encoded_as_the_api_reads_them() -> None:
    seen, handle = scripted(httpx.Response(200, json=[]))
    when = datetime(2031, 3, 5, 12, 0, tzinfo=UTC)
    client(handle).units.list(
        statuses=["Available", "On Hold"], unitIds=[1, 2], updated_after=when, city=None
    )
    params = dict(seen[0].url.params)
    assert params == {
        "statuses": "Available,On Hold",
        "unitIds": "1,2",
        "updated_after": "2031-03-05T12:00:00+00:00",
    }
    seen, handle = scripted(httpx.Response(204))
    client(handle).webhooks.delete("a/b")
    assert seen[0].url.raw_path == b"/v1/webhooks/a%2Fb"


async def test_the_async_client_retries_too() -> None:
    seen, handle = scripted(httpx.Response(502, json={"error": "Bad gateway"}), httpx.Response(200, json=[]))
    transport = httpx.MockTransport(handle)
    async with AsyncRentEngine("t", base_url="http://api.test/v1", transport=transport, backoff=0.01) as c:
        assert await c.units.list() == []
    assert len(seen) == 2
