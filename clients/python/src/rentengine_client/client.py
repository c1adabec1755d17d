"""`RentEngine` (sync) and `AsyncRentEngine` (async): one attribute per group of operations."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Literal, Self

import httpx

from . import _resources as r
from ._transport import DEFAULT_TIMEOUT, HOSTED_BASE_URL, RetryPolicy, expand, headers, query, result
from .errors import APIConnectionError, APITimeoutError

__version__ = "1.1.1"
USER_AGENT = f"rentengine-python/{__version__}"


def _failure(method: str, exc: httpx.TransportError) -> tuple[APIConnectionError, bool]:
    """The exception to raise for a transport failure, and whether retrying it is safe: a connection that
    was never made always is; a timeout or a dropped connection only for GET and DELETE."""
    error: APIConnectionError
    if isinstance(exc, httpx.TimeoutException):
        error = APITimeoutError(str(exc) or "timed out")
    else:
        error = APIConnectionError(str(exc) or type(exc).__name__)
    never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    return error, never_sent or method in ("GET", "DELETE")


class _Base:
    def __init__(
        self,
        token: str | None,
        base_url: str,
        max_retries: int,
        backoff: float,
        max_retry_delay: float,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = RetryPolicy(max_retries, backoff, max_retry_delay)
        self._headers = headers(token, USER_AGENT)

    def _build(
        self, operation: str, path: Mapping[str, Any] | None, params: Mapping[str, Any] | None, body: Any
    ) -> tuple[str, str, dict[str, Any]]:
        method, template, _ = r.OPERATIONS[operation]
        kwargs: dict[str, Any] = {"params": query(params)}
        if body is not None:
            kwargs["json"] = body
        return method, self.base_url + expand(template, path), kwargs


class RentEngine(_Base):
    """A synchronous client of the RentEngine Public API (the hosted API or a self-hosted server).

    `base_url` defaults to the hosted production API; for a self-hosted server pass
    `http://host:port/api/public/v1`. `timeout` is seconds or an `httpx.Timeout`. 429 and 5xx responses are
    retried `max_retries` times, after `Retry-After` or exponential backoff from `backoff` seconds."""

    units: r.Units
    multifamily_properties: r.MultifamilyProperties
    lockboxes: r.Lockboxes
    lockbox_events: r.LockboxEvents
    prospects: r.Prospects
    leasing_events: r.LeasingEvents
    showings: r.Showings
    rental_application_groups: r.RentalApplicationGroups
    calls: r.Calls
    messages: r.Messages
    listings: r.Listings
    comps: r.Comps
    reporting: r.Reporting
    audit_log: r.AuditLog
    webhooks: r.Webhooks

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str = HOSTED_BASE_URL,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_retry_delay: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(token, base_url, max_retries, backoff, max_retry_delay)
        self._http = httpx.Client(timeout=timeout, transport=transport, headers=self._headers)
        for name, (sync, _) in r.RESOURCES.items():
            setattr(self, name, sync(self))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _request(
        self,
        operation: str,
        *,
        path: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        method, url, kwargs = self._build(operation, path, params, body)
        attempt = 0
        while True:
            try:
                response = self._http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                error, safe = _failure(method, exc)
                if not (safe and self.retry.should_retry(attempt, None)):
                    raise error from exc
                time.sleep(self.retry.delay(attempt, None))
                attempt += 1
                continue
            if not self.retry.should_retry(attempt, response, method):
                return result(response)
            time.sleep(self.retry.delay(attempt, response))
            attempt += 1

    def _paginate(
        self,
        operation: str,
        *,
        path: Mapping[str, Any] | None = None,
        params: Mapping[str, Any],
        shape: Literal["array", "env"],
    ) -> Iterator[Any]:
        current = dict(params)
        limit = int(current.get("limit") or 50)
        current.setdefault("page_number", 0)
        while True:
            page = self._request(operation, path=path, params=current)
            if shape == "array":
                yield from page
                if len(page) < limit:
                    return
                current["page_number"] += 1
            else:
                yield from page["data"]
                if not page["page"]["has_more"] or page["page"]["next_page_number"] is None:
                    return
                current["page_number"] = page["page"]["next_page_number"]


class AsyncRentEngine(_Base):
    """The asynchronous twin of `RentEngine`: the same attributes and methods, awaited; `iter` methods are
    async iterators."""

    units: r.AsyncUnits
    multifamily_properties: r.AsyncMultifamilyProperties
    lockboxes: r.AsyncLockboxes
    lockbox_events: r.AsyncLockboxEvents
    prospects: r.AsyncProspects
    leasing_events: r.AsyncLeasingEvents
    showings: r.AsyncShowings
    rental_application_groups: r.AsyncRentalApplicationGroups
    calls: r.AsyncCalls
    messages: r.AsyncMessages
    listings: r.AsyncListings
    comps: r.AsyncComps
    reporting: r.AsyncReporting
    audit_log: r.AsyncAuditLog
    webhooks: r.AsyncWebhooks

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str = HOSTED_BASE_URL,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_retry_delay: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(token, base_url, max_retries, backoff, max_retry_delay)
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport, headers=self._headers)
        for name, (_, asynchronous) in r.RESOURCES.items():
            setattr(self, name, asynchronous(self))

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(
        self,
        operation: str,
        *,
        path: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        method, url, kwargs = self._build(operation, path, params, body)
        attempt = 0
        while True:
            try:
                response = await self._http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                error, safe = _failure(method, exc)
                if not (safe and self.retry.should_retry(attempt, None)):
                    raise error from exc
                await asyncio.sleep(self.retry.delay(attempt, None))
                attempt += 1
                continue
            if not self.retry.should_retry(attempt, response, method):
                return result(response)
            await asyncio.sleep(self.retry.delay(attempt, response))
            attempt += 1

    async def _apaginate(
        self,
        operation: str,
        *,
        path: Mapping[str, Any] | None = None,
        params: Mapping[str, Any],
        shape: Literal["array", "env"],
    ) -> AsyncIterator[Any]:
        current = dict(params)
        limit = int(current.get("limit") or 50)
        current.setdefault("page_number", 0)
        while True:
            page = await self._request(operation, path=path, params=current)
            if shape == "array":
                for item in page:
                    yield item
                if len(page) < limit:
                    return
                current["page_number"] += 1
            else:
                for item in page["data"]:
                    yield item
                if not page["page"]["has_more"] or page["page"]["next_page_number"] is None:
                    return
                current["page_number"] = page["page"]["next_page_number"]
