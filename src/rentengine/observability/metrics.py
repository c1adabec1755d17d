"""Prometheus metrics of one node, beside the webhook metrics in the app's registry.

- `rentengine_http_request_duration_seconds{method, route, status_class}`: a histogram per route
  template (`/api/public/v1/units/{unit_id}`), never per raw path, so the number of series is bounded
  by the app's routes; requests that match none (404s, refusals before routing) are `unmatched`,
  and methods other than the usual seven are `other`.
- `rentengine_db_pool_*`: the SQLAlchemy pool at scrape time (checked out, size, overflow in use).
- `rentengine_rate_limit_storage_errors_total`: rate-limit store failures (each let a request
  through unlimited; see `ApiRateLimiter`).
- `rentengine_webhook_delivery_lag_seconds`: how long the oldest due, unsent delivery has been due
  (0 when none is), read at scrape time with one index-ordered `LIMIT 1` per open status.

Each process keeps its own: with `serve --workers N` a scrape reaches one of them, so scrape each
node with one API process, or read the figures as a sample.
"""

import asyncio
import logging
from collections.abc import Iterable
from typing import cast

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import Table, select
from sqlalchemy.pool import QueuePool

from rentengine.kit.clock import utc_now
from rentengine.runtime import Runtime
from rentengine.webhooks.models import OPEN_STATUSES, WebhookDelivery

log = logging.getLogger(__name__)

# From the fast lane's sub-millisecond pages to a slow report.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"
# A scrape never waits longer than this for the delivery lag; the last value is shown instead.
LAG_QUERY_SECONDS = 2.0
_DELIVERIES = cast(Table, WebhookDelivery.__table__)


class NodeMetrics:
    """The node's HTTP, pool, rate-limiter and delivery-lag metrics, in `registry`."""

    def __init__(self, registry: CollectorRegistry, runtime: Runtime) -> None:
        self.runtime = runtime
        self.requests = Histogram(
            "rentengine_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by route template and status class.",
            ["method", "route", "status_class"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        # labels() takes a lock and builds a key each time: the children are kept here instead.
        self._children: dict[tuple[str, str, str], Histogram] = {}
        self.delivery_lag_seconds = 0.0
        registry.register(_ScrapeTimeCollector(self))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        # The method is the caller's to choose: any other than the usual ones is one label.
        key = (method if method in METHODS else OTHER_METHOD, route, f"{status // 100}xx")
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.requests.labels(*key)
        child.observe(seconds)

    async def refresh(self) -> None:
        """Reads what is computed at scrape time (the delivery lag); a slow or failing database
        leaves the last value."""
        try:
            async with asyncio.timeout(LAG_QUERY_SECONDS):
                self.delivery_lag_seconds = await self._delivery_lag()
        except Exception as exc:  # a scrape must answer even when the database does not
            log.warning("delivery lag not read: %r", exc)

    async def _delivery_lag(self) -> float:
        now = utc_now()
        oldest = None
        c = _DELIVERIES.c
        async with self.runtime.db.transaction(writes=False) as session:
            for status in OPEN_STATUSES:
                # The (status, next_attempt_at) index gives the first due row directly.
                due = (
                    select(c.next_attempt_at)
                    .where(c.status == status, c.next_attempt_at <= now)
                    .order_by(c.next_attempt_at)
                    .limit(1)
                )
                found = await session.scalar(due)
                if found is not None and (oldest is None or found < oldest):
                    oldest = found
        return 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())


class _ScrapeTimeCollector(Collector):
    """Values read when Prometheus scrapes: nothing is kept up to date on the request path."""

    def __init__(self, metrics: NodeMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterable[Metric]:
        yield from _pool_metrics(self.metrics.runtime)
        limiter = self.metrics.runtime.rate_limiter
        yield CounterMetricFamily(
            "rentengine_rate_limit_storage_errors",
            "Rate-limit store failures (Redis or the database unreachable); each let a request through.",
            value=getattr(limiter, "storage_errors", 0),
        )
        yield GaugeMetricFamily(
            "rentengine_webhook_delivery_lag_seconds",
            "How long the oldest due, unsent webhook delivery has been due (0 when none is).",
            value=self.metrics.delivery_lag_seconds,
        )


def _pool_metrics(runtime: Runtime) -> Iterable[Metric]:
    pool = runtime.db.engine.pool
    size = max_overflow = checked_out = overflow = 0
    if isinstance(pool, QueuePool):
        size, checked_out = pool.size(), pool.checkedout()
        # QueuePool counts overflow from -size (no connection opened yet): only the part above 0 is
        # connections beyond the pool's size.
        overflow, max_overflow = max(0, pool.overflow()), pool._max_overflow
    for name, text, value in (
        ("checked_out", "Connections handed out by the database pool now.", checked_out),
        ("size", "The database pool's size (connections kept open).", size),
        ("overflow", "Connections open beyond the pool's size now.", overflow),
        ("max_overflow", "How many connections may be opened beyond the pool's size.", max_overflow),
    ):
        yield GaugeMetricFamily(f"rentengine_db_pool_{name}", text, value=value)
