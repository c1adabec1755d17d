"""Calls and messages (API.md §14): activity that happened elsewhere, recorded and linked to prospects."""

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from rentengine.auth.dependencies import CurrentPrincipal
from rentengine.communications import examples, service
from rentengine.communications.schemas import ActivityQuery, CallCreate, CallOut, MessageCreate, MessageOut
from rentengine.db.session import RequestSession
from rentengine.envelope import Envelope
from rentengine.http import JSONBytes, actor_of, json_ok
from rentengine.openapi import json_example

router = APIRouter(tags=["Calls and messages"])


@router.get(
    "/calls",
    response_model=Envelope[CallOut],
    response_class=JSONBytes,
    responses={
        200: json_example("The matching calls, `id` ascending (the `env` envelope)", examples.CALLS_PAGE)
    },
)
async def list_calls(
    principal: CurrentPrincipal, session: RequestSession, query: Annotated[ActivityQuery, Query()]
) -> JSONBytes:
    """Lists the calls of the given accounts with one prospect or one phone number, oldest first."""
    return json_ok(await service.list_calls(session, principal, query))


@router.post(
    "/calls",
    response_model=CallOut,
    response_class=JSONBytes,
    status_code=201,
    responses={201: json_example("The recorded call", examples.CALL)},
)
async def create_call(
    request: Request,
    principal: CurrentPrincipal,
    session: RequestSession,
    body: Annotated[CallCreate, Body(openapi_examples=examples.CALL_EXAMPLES)],
) -> JSONBytes:
    """Records a call that happened elsewhere, linked to its prospect (default: the latest by number)."""
    record = await service.record_call(session, principal, actor_of(request, principal), body)
    return json_ok(record, status_code=201)


@router.get(
    "/messages",
    response_model=Envelope[MessageOut],
    response_class=JSONBytes,
    responses={
        200: json_example(
            "The matching messages, `id` ascending (the `env` envelope)", examples.MESSAGES_PAGE
        )
    },
)
async def list_messages(
    principal: CurrentPrincipal, session: RequestSession, query: Annotated[ActivityQuery, Query()]
) -> JSONBytes:
    """Lists the messages of the given accounts with one prospect or one contact number, oldest first."""
    return json_ok(await service.list_messages(session, principal, query))


@router.post(
    "/messages",
    response_model=MessageOut,
    response_class=JSONBytes,
    status_code=201,
    responses={201: json_example("The recorded message", examples.MESSAGE)},
)
async def create_message(
    request: Request,
    principal: CurrentPrincipal,
    session: RequestSession,
    body: Annotated[MessageCreate, Body(openapi_examples=examples.MESSAGE_EXAMPLES)],
) -> JSONBytes:
    """Records a message that happened elsewhere, linked to its prospect (default: the latest by contact)."""
    record = await service.record_message(session, principal, actor_of(request, principal), body)
    return json_ok(record, status_code=201)
