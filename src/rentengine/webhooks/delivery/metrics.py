"""Prometheus metrics of webhook delivery, kept in a registry owned by one app or worker process.

A per-owner `CollectorRegistry` (not prometheus_client's global one) lets several apps live in one
process, as they do in the tests, without registering the same metric names twice.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # prometheus_client is imported when metrics are kept: the mock never keeps any
    from prometheus_client import CollectorRegistry

# From a fast local receiver up to the retry schedule's day-long waits.
LATENCY_BUCKETS = (
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 6 * 3600, 86_400, 7 * 86_400,
)  # fmt: skip
ATTEMPT_OUTCOMES = ("succeeded", "http_error", "timeout", "connection_error", "refused")


class WebhookMetrics:
    def __init__(self, registry: "CollectorRegistry | None" = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = registry or CollectorRegistry()
        self.attempts = Counter(
            "rentengine_webhook_attempts",
            "Delivery attempts by outcome: a 2xx, another status, timeout, connection error, refused target.",
            ["outcome"],
            registry=self.registry,
        )
        self.succeeded = Counter(
            "rentengine_webhook_deliveries_succeeded",
            "Deliveries that reached a 2xx answer.",
            registry=self.registry,
        )
        self.dead_lettered = Counter(
            "rentengine_webhook_deliveries_dead_lettered",
            "Deliveries that failed their last allowed attempt.",
            registry=self.registry,
        )
        self.latency = Histogram(
            "rentengine_webhook_delivery_latency_seconds",
            "From the commit that produced the event (delivery created_at) to the receiver's 2xx.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.paused = Gauge(
            "rentengine_webhook_paused_subscriptions",
            "Subscriptions whose receiver kept failing, left out of this worker's claims for now.",
            registry=self.registry,
        )
        # Every label exists from the start, so a scrape shows zeros rather than missing series.
        self._attempts = {outcome: self.attempts.labels(outcome=outcome) for outcome in ATTEMPT_OUTCOMES}

    def observe(self, outcome: str, status: str | None, latency_seconds: float | None) -> None:
        """One recorded attempt: its outcome label, the delivery's new status, commit-to-2xx seconds."""
        counter = self._attempts.get(outcome)
        (counter or self.attempts.labels(outcome=outcome)).inc()
        if status == "succeeded":
            self.succeeded.inc()
            if latency_seconds is not None:
                self.latency.observe(max(0.0, latency_seconds))
        elif status == "dead_lettered":
            self.dead_lettered.inc()

    def watch_paused(self, count: Callable[[], int]) -> None:
        """The paused subscriptions gauge reads `count()` at each scrape."""
        self.paused.set_function(count)

    def render(self) -> bytes:
        """The registry in the Prometheus text exposition format."""
        from prometheus_client import generate_latest

        return generate_latest(self.registry)

    @property
    def content_type(self) -> str:
        from prometheus_client import CONTENT_TYPE_LATEST

        return CONTENT_TYPE_LATEST
