"""Prospects (API.md §10): one person interested in one unit."""

from typing import Annotated

from fastapi import APIRouter, Query

from rentengine.auth.dependencies import CurrentPrincipal
from rentengine.db.session import RequestSession
from rentengine.http import JSONBytes, json_ok
from rentengine.prospects import examples, service
from rentengine.prospects.schemas import ProspectOut, ProspectQuery

router = APIRouter(tags=["Prospects"])


@router.get(
    "/prospects",
    response_model=list[ProspectOut],
    response_class=JSONBytes,
    responses={
        200: {
            "description": "The prospects of the caller's accounts, `id` ascending (a bare array)",
            "content": {"application/json": {"example": examples.LIST_RESPONSE}},
        }
    },
)
async def list_prospects(
    principal: CurrentPrincipal, session: RequestSession, query: Annotated[ProspectQuery, Query()]
) -> JSONBytes:
    """Lists the prospects of all the caller's accounts, oldest first."""
    return json_ok(await service.list_prospects(session, principal.account_ids, query))
