"""Former path of `rentengine.webhooks.delivery.outbox`, kept for the importers outside the package."""

from rentengine.webhooks.delivery.outbox import NOTIFY_CHANNEL, enqueue_deliveries, new_event_id

__all__ = ["NOTIFY_CHANNEL", "enqueue_deliveries", "new_event_id"]
