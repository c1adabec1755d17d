"""`record_changes` is the only way a write reaches its consumers: the audit log and the webhook outbox.

Consumers write in the caller's session, so their rows commit or roll back with the change itself.
"""

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.audit.service import write_audit_entries
from rentengine.changes.types import Actor, Change
from rentengine.webhooks.delivery.outbox import enqueue_deliveries

ChangeConsumer = Callable[[AsyncSession, Actor, Sequence[Change]], Awaitable[None]]

CONSUMERS: tuple[ChangeConsumer, ...] = (write_audit_entries, enqueue_deliveries)


async def record_changes(session: AsyncSession, actor: Actor, changes: Sequence[Change]) -> None:
    if not changes:
        return
    for consume in CONSUMERS:
        await consume(session, actor, changes)


async def record_change(session: AsyncSession, actor: Actor, change: Change) -> None:
    await record_changes(session, actor, (change,))
