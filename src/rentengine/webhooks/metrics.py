"""Former path of `rentengine.webhooks.delivery.metrics`, kept for the importers outside the package."""

from rentengine.webhooks.delivery.metrics import WebhookMetrics

__all__ = ["WebhookMetrics"]
