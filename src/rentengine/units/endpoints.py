from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from rentengine.auth.access import visible_accounts
from rentengine.auth.dependencies import CurrentPrincipal
from rentengine.db.session import RequestSession
from rentengine.http import JSONBytes, actor_of, json_ok
from rentengine.runtime import runtime_of
from rentengine.units import service
from rentengine.units.examples import CREATE_EXAMPLES, UNIT_EXAMPLE, UPDATED_EXAMPLE
from rentengine.units.schemas import UnitOut, UnitQuery, UnitUpsert

router = APIRouter(tags=["Units"])


@router.get(
    "/units",
    response_model=list[UnitOut],
    response_class=JSONBytes,
    responses={
        200: {
            "description": "Units of the caller's accounts, `id` ascending",
            "content": {"application/json": {"example": [UNIT_EXAMPLE]}},
        }
    },
)
async def list_units(
    request: Request,
    principal: CurrentPrincipal,
    session: RequestSession,
    query: Annotated[UnitQuery, Query()],
) -> JSONBytes:
    """Lists units, `id` ascending; array parameters take `a,b` or repeated keys."""
    base_url = runtime_of(request).settings.public_base_url
    accounts = visible_accounts(principal, query.accountId)
    return JSONBytes(await service.list_units_json(session, accounts, query, base_url))


@router.post(
    "/units",
    response_model=UnitOut,
    response_class=JSONBytes,
    status_code=201,
    responses={
        201: {"description": "Created", "content": {"application/json": {"example": UNIT_EXAMPLE}}},
        200: {
            "model": UnitOut,
            "description": "Updated",
            "content": {"application/json": {"example": UPDATED_EXAMPLE}},
        },
    },
)
async def upsert_unit(
    request: Request,
    principal: CurrentPrincipal,
    session: RequestSession,
    body: Annotated[UnitUpsert, Body(openapi_examples=CREATE_EXAMPLES)],
) -> JSONBytes:
    """Creates a unit (no `id`) or updates the fields sent (with `id`)."""
    base_url = runtime_of(request).settings.public_base_url
    record, created = await service.upsert_unit(
        session, principal, actor_of(request, principal), body, base_url
    )
    return json_ok(record, status_code=201 if created else 200)
