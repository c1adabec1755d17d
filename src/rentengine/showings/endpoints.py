"""Showings (API.md §12): a unit's open windows, and booking one."""

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from rentengine.auth.dependencies import CurrentPrincipal
from rentengine.db.session import RequestSession
from rentengine.http import JSONBytes, actor_of, json_ok
from rentengine.openapi import json_example, json_examples
from rentengine.showings import booking, examples, service
from rentengine.showings.schemas import AvailabilityOut, AvailabilityQuery, ShowingCreate, ShowingCreated

router = APIRouter(tags=["Showings"])


@router.get(
    "/showings/availability",
    response_model=AvailabilityOut,
    response_class=JSONBytes,
    responses={
        200: json_examples(
            "30-minute windows in the account's showing hours, from one hour to 14 days ahead",
            examples.AVAILABILITY_EXAMPLES,
        ),
        404: json_example(
            "The unit does not exist or is not in one of your accounts", {"error": "Not found"}
        ),
    },
)
async def get_showing_availability(
    principal: CurrentPrincipal, session: RequestSession, query: Annotated[AvailabilityQuery, Query()]
) -> JSONBytes:
    """The unit's open showing windows; those next to a scheduled showing are also preferred."""
    return json_ok(await service.availability(session, principal, query.unitId))


@router.post(
    "/showings/create",
    response_model=ShowingCreated,
    response_class=JSONBytes,
    responses={
        200: json_example(
            "Scheduled: the prospect, the showing and a leasing event are written", examples.SUCCESS
        ),
        400: json_examples(
            "Invalid body, failed prescreen, bad agent token or a time that is not an open window",
            examples.REFUSED_EXAMPLES,
        ),
        404: json_example(
            "The unit, or the showing to reschedule, does not exist or is not in one of your accounts",
            {"error": "Not found"},
        ),
    },
)
async def create_showing(
    request: Request,
    principal: CurrentPrincipal,
    session: RequestSession,
    body: Annotated[ShowingCreate, Body(openapi_examples=examples.REQUEST_EXAMPLES)],
) -> JSONBytes:
    """Books a showing at an open window (or moves one with `rescheduleEvent`) for a prescreened prospect."""
    await booking.book(session, principal, actor_of(request, principal), body)
    return json_ok(examples.SUCCESS)
