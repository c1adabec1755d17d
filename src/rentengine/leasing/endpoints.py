"""Leasing events (API.md §11): what happened to a prospect, one event at a time."""

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from rentengine.auth.dependencies import CurrentPrincipal
from rentengine.db.session import RequestSession
from rentengine.envelope import Envelope
from rentengine.http import JSONBytes, actor_of, json_ok
from rentengine.leasing import examples, service
from rentengine.leasing.schemas import LeasingEventCreate, LeasingEventOut, LeasingEventQuery
from rentengine.openapi import json_example

router = APIRouter(tags=["Leasing events"])


@router.get(
    "/leasing_events",
    response_model=Envelope[LeasingEventOut],
    response_class=JSONBytes,
    responses={
        200: json_example("The matching events, `id` ascending (the `env` envelope)", examples.LIST_RESPONSE)
    },
)
async def list_leasing_events(
    principal: CurrentPrincipal, session: RequestSession, query: Annotated[LeasingEventQuery, Query()]
) -> JSONBytes:
    """Lists the leasing events of all the caller's accounts, oldest first."""
    return json_ok(await service.list_events(session, principal, query))


@router.post(
    "/leasing_events",
    response_model=LeasingEventOut,
    response_class=JSONBytes,
    status_code=201,
    responses={
        201: json_example("The recorded event (the requested prospect's, also in bulk)", examples.ASSIGNED),
        400: {
            "description": "The body is invalid, or an assignee is not a member of the prospect's account",
            "content": {"application/json": {"examples": examples.REFUSALS}},
        },
        404: {"description": "The prospect does not exist or is not in one of your accounts"},
    },
)
async def create_leasing_event(
    request: Request,
    principal: CurrentPrincipal,
    session: RequestSession,
    body: Annotated[LeasingEventCreate, Body(openapi_examples=examples.REQUEST_EXAMPLES)],
) -> JSONBytes:
    """Assigns a prospect to users (`Assign to User`), optionally with every prospect of the same number."""
    record = await service.create_event(session, principal, actor_of(request, principal), body)
    return json_ok(record, status_code=201)
