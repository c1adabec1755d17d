import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.audit.models import AuditEntry
from rentengine.audit.schemas import AuditQuery
from rentengine.db.pagination import page_of


async def list_entries(
    session: AsyncSession, account_ids: Iterable[uuid.UUID], query: AuditQuery
) -> Sequence[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.account_id.in_(list(account_ids)))
    if query.table is not None:
        stmt = stmt.where(AuditEntry.table == query.table)
    if query.record_id is not None:
        stmt = stmt.where(AuditEntry.record_id == query.record_id)
    if query.api_key_id is not None:
        stmt = stmt.where(AuditEntry.api_key_id == query.api_key_id)
    if query.created_after is not None:
        stmt = stmt.where(AuditEntry.created_at >= query.created_after)
    if query.created_before is not None:
        stmt = stmt.where(AuditEntry.created_at < query.created_before)
    rows = await session.scalars(page_of(stmt.order_by(AuditEntry.id), query))
    return rows.all()
