"""GET /market-tool/comps: nearby rented and available homes, within a daily quota per user."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth.access import require_account
from rentengine.auth.dependencies import CurrentPrincipal
from rentengine.comps import quota, service
from rentengine.comps.examples import COMPS_EXAMPLE
from rentengine.comps.schemas import CompOut, CompsQuery
from rentengine.db.session import RequestSession
from rentengine.http import JSONBytes
from rentengine.runtime import runtime_of

router = APIRouter(tags=["Market tool"])

DESCRIPTION = """At most 200 comps, nearest first: this deployment's `Leased` (as `Rented`) and
`Available` units with coordinates, in every account, within `radius_miles` of the point or in the
`zipcodes`. Ranges are inclusive; `start_date`/`end_date` filter `date_rented` (Available comps always
pass). Only listing-level data is returned.

Each user has a quota of successful calls per rolling 24 hours (40 by default,
`RENTENGINE_COMPS_DAILY_QUOTA`); refused calls do not count. Past it: 429 with `Retry-After`, the
seconds until the oldest counted call leaves the window."""

_QUOTA_429: dict[str, Any] = {
    "description": "Rate limit exceeded, or the daily comps quota is used up",
    "content": {"application/json": {"example": {"error": "Too many requests"}}},
    "headers": {
        "Retry-After": {
            "required": True,
            "description": "Seconds until another call is allowed",
            "schema": {"type": "integer"},
        }
    },
}


async def end_request_transaction(session: AsyncSession) -> None:
    """Ends the request's read transaction, returning its connection (if the token check took one).

    The quota and the comps use transactions of their own, one after the other; a request never
    holds two pooled connections at once.
    """
    await session.commit()


@router.get(
    "/market-tool/comps",
    response_model=list[CompOut],
    response_class=JSONBytes,
    description=DESCRIPTION,
    responses={
        200: {
            "description": "Comps, nearest first",
            "content": {"application/json": {"example": COMPS_EXAMPLE}},
        },
        429: _QUOTA_429,
    },
)
async def list_comps(
    request: Request,
    principal: CurrentPrincipal,
    session: RequestSession,
    query: Annotated[CompsQuery, Query()],
) -> JSONBytes:
    """Lists market comps near a point."""
    if query.account_id is not None:
        require_account(principal, query.account_id)
    runtime = runtime_of(request)
    await end_request_transaction(session)
    call_id = await quota.reserve_call(runtime.db, principal.user_id, runtime.settings.comps_daily_quota)
    try:
        async with runtime.db.transaction(writes=False) as reading:
            body = await service.comps_json(reading, query, runtime.settings.public_base_url)
    except Exception:  # no answer was given: the call is not a success
        await quota.give_back(runtime.db, call_id)
        raise
    return JSONBytes(body)
