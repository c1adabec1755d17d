from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from rentengine.auth.access import visible_accounts
from rentengine.auth.dependencies import CurrentPrincipal
from rentengine.db.session import RequestSession
from rentengine.http import JSONBytes, actor_of, json_ok
from rentengine.lockboxes import examples as ex
from rentengine.lockboxes import repository, service
from rentengine.lockboxes.schemas import (
    GenerateCode,
    GeneratedCodeOut,
    LockboxCreate,
    LockboxEventBatch,
    LockboxEventOut,
    LockboxEventQuery,
    LockboxOut,
    LockboxQuery,
    LockboxTransfer,
)
from rentengine.openapi import json_example
from rentengine.runtime import runtime_of

router = APIRouter()
LOCKBOXES_TAG = "Lockboxes"
EVENTS_TAG = "Lockbox events"


@router.get(
    "/lockboxes",
    tags=[LOCKBOXES_TAG],
    response_model=list[LockboxOut],
    response_class=JSONBytes,
    responses={200: json_example("The matching lockboxes, oldest first", [ex.LOCKBOX])},
)
async def list_lockboxes(
    principal: CurrentPrincipal, session: RequestSession, query: Annotated[LockboxQuery, Query()]
) -> JSONBytes:
    """Lists the lockboxes of the caller's accounts, ordered by creation time."""
    rows = await repository.list_lockboxes(session, visible_accounts(principal, query.account_id), query)
    return json_ok([service.lockbox_to_wire(row) for row in rows])


@router.post(
    "/lockboxes",
    tags=[LOCKBOXES_TAG],
    response_model=list[LockboxOut],
    response_class=JSONBytes,
    status_code=201,
    responses={
        201: json_example("The created lockboxes, in request order", ex.CREATED),
        409: json_example("A serial number already exists in the account", ex.SERIAL_CONFLICT),
    },
)
async def create_lockboxes(
    request: Request,
    principal: CurrentPrincipal,
    session: RequestSession,
    body: Annotated[
        LockboxCreate,
        Body(openapi_examples={"create": {"summary": "Two Sentrilock boxes", "value": ex.CREATE_BODY}}),
    ],
) -> JSONBytes:
    """Creates one Sentrilock lockbox per serial number; nothing is created if any serial is taken."""
    records = await service.create_lockboxes(session, principal, actor_of(request, principal), body)
    return json_ok(records, status_code=201)


@router.post(
    "/lockboxes/transfer_accounts",
    tags=[LOCKBOXES_TAG],
    response_model=list[LockboxOut],
    response_class=JSONBytes,
    responses={
        200: json_example("The moved lockboxes, with their new account", ex.TRANSFERRED),
        409: json_example("A serial number already exists in the target account", ex.SERIAL_CONFLICT),
    },
)
async def transfer_lockboxes(
    request: Request,
    principal: CurrentPrincipal,
    session: RequestSession,
    body: Annotated[
        LockboxTransfer,
        Body(openapi_examples={"transfer": {"summary": "Move one lockbox", "value": ex.TRANSFER_BODY}}),
    ],
) -> JSONBytes:
    """Moves lockboxes to another of the caller's accounts, all or nothing."""
    records = await service.transfer_lockboxes(session, principal, actor_of(request, principal), body)
    return json_ok(records)


@router.post(
    "/lockboxes/generate_code",
    tags=[LOCKBOXES_TAG],
    response_model=GeneratedCodeOut,
    response_class=JSONBytes,
    responses={200: json_example("The code for that day", ex.GENERATED)},
)
async def generate_code(
    request: Request,
    principal: CurrentPrincipal,
    session: RequestSession,
    body: Annotated[
        GenerateCode,
        Body(
            openapi_examples={
                "by_serial": {"summary": "By serial number", "value": ex.GENERATE_BY_SERIAL},
                "by_unit": {"summary": "The lockbox installed on a unit", "value": ex.GENERATE_BY_UNIT},
            }
        ),
    ],
) -> JSONBytes:
    """Generates the one-day access or shackle code of a lockbox (computed offline, never stored)."""
    digits = runtime_of(request).settings.lockbox_code_digits
    result = await service.generate_code(session, principal, actor_of(request, principal), body, digits)
    return json_ok(result)


@router.get(
    "/lockbox_events",
    tags=[EVENTS_TAG],
    response_model=list[LockboxEventOut],
    response_class=JSONBytes,
    responses={200: json_example("The matching events, oldest first", [ex.EVENT])},
)
async def list_lockbox_events(
    principal: CurrentPrincipal, session: RequestSession, query: Annotated[LockboxEventQuery, Query()]
) -> JSONBytes:
    """Lists lockbox events of the caller's accounts (the lockbox's account at event time)."""
    rows = await repository.list_events(session, visible_accounts(principal, query.account_id), query)
    return json_ok([service.lockbox_event_to_wire(row) for row in rows])


@router.post(
    "/lockbox_events",
    tags=[EVENTS_TAG],
    response_model=list[LockboxEventOut],
    response_class=JSONBytes,
    status_code=201,
    responses={201: json_example("The created events, in request order", [ex.EVENT])},
)
async def create_lockbox_events(
    request: Request,
    principal: CurrentPrincipal,
    session: RequestSession,
    body: Annotated[
        LockboxEventBatch,
        Body(openapi_examples={"install": {"summary": "Install on a unit", "value": ex.EVENTS_BODY}}),
    ],
) -> JSONBytes:
    """Records Install/Uninstall events, all or nothing."""
    records = await service.create_events(session, principal, actor_of(request, principal), body)
    return json_ok(records, status_code=201)
