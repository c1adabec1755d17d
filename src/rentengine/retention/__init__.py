"""Retention: rows that would grow forever are deleted once older than their period.

Lockbox events (`RENTENGINE_LOCKBOX_EVENT_RETENTION_DAYS`) and audit entries
(`RENTENGINE_AUDIT_RETENTION_DAYS`) are kept for good unless a period is set; finished webhook
deliveries and their attempts go after `RENTENGINE_WEBHOOK_RETENTION_DAYS` (30 by default).

`rentengine purge` runs every purge once; the webhook worker runs them hourly. Each purge walks its
table oldest first, by the `(created_at, id)` index, in batches of at most `BATCH_ROWS` rows, each
its own short transaction: writers wait for one batch at most, never for a whole run. Rows the API
still reads are spared (see `lockbox_events` and `audit`).
"""

from rentengine.retention.batches import BATCH_ROWS
from rentengine.retention.runner import Periods, Report, purge_all

__all__ = ["BATCH_ROWS", "Periods", "Report", "purge_all"]
