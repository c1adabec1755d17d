from typing import Annotated, Any

from fastapi import APIRouter, Query

from rentengine.audit import examples, repository
from rentengine.audit.models import AuditEntry
from rentengine.audit.schemas import AuditEntryOut, AuditQuery
from rentengine.auth.dependencies import CurrentPrincipal
from rentengine.db.session import RequestSession
from rentengine.http import JSONBytes, json_ok
from rentengine.kit.clock import isoformat_z

router = APIRouter(tags=["Audit log"])


def entry_to_wire(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "account_id": str(entry.account_id),
        "user_id": str(entry.user_id) if entry.user_id else None,
        "api_key_id": str(entry.api_key_id) if entry.api_key_id else None,
        "table": entry.table,
        "record_id": entry.record_id,
        "action": entry.action,
        "request_method": entry.request_method,
        "request_path": entry.request_path,
        "request_id": entry.request_id,
        "changes": entry.changes,
        "created_at": isoformat_z(entry.created_at),
    }


@router.get(
    "/audit_log",
    response_model=list[AuditEntryOut],
    response_class=JSONBytes,
    responses={
        200: {
            "description": "The audit entries, `id` ascending (a bare array)",
            "content": {"application/json": {"example": examples.LIST_RESPONSE}},
        }
    },
)
async def list_audit_log(
    principal: CurrentPrincipal, session: RequestSession, query: Annotated[AuditQuery, Query()]
) -> JSONBytes:
    """Lists the audit entries of the caller's accounts, oldest first."""
    entries = await repository.list_entries(session, principal.account_ids, query)
    return json_ok([entry_to_wire(entry) for entry in entries])
