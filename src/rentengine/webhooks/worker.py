"""Former path of `rentengine.webhooks.delivery.worker`, kept for the importers outside the package."""

from rentengine.webhooks.delivery.worker import DeliveryWorker, run_worker_process

__all__ = ["DeliveryWorker", "run_worker_process"]
