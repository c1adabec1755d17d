"""Rental application groups (API.md §13): read-only, created by the platform."""

from typing import Annotated

from fastapi import APIRouter, Query

from rentengine.applications import examples, service
from rentengine.applications.schemas import GroupOut, GroupQuery
from rentengine.auth.dependencies import CurrentPrincipal
from rentengine.db.session import RequestSession
from rentengine.http import JSONBytes, json_ok

router = APIRouter(tags=["Rental application groups"])


@router.get(
    "/rental_application_groups",
    response_model=list[GroupOut],
    response_class=JSONBytes,
    responses={
        200: {
            "description": "The groups of the caller's accounts, `id` ascending (a bare array)",
            "content": {"application/json": {"example": examples.LIST_RESPONSE}},
        }
    },
)
async def list_rental_application_groups(
    principal: CurrentPrincipal, session: RequestSession, query: Annotated[GroupQuery, Query()]
) -> JSONBytes:
    """Lists the rental application groups of all the caller's accounts, oldest first."""
    return json_ok(await service.list_groups(session, principal.account_ids, query))
