from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from rentengine.auth.access import visible_accounts
from rentengine.auth.dependencies import CurrentPrincipal
from rentengine.db.session import RequestSession
from rentengine.http import JSONBytes, actor_of, json_ok
from rentengine.openapi import json_example
from rentengine.properties import examples, repository, service
from rentengine.properties.schemas import PropertyOut, PropertyQuery, PropertyUpsert
from rentengine.runtime import runtime_of

router = APIRouter(tags=["Multifamily properties"])


@router.get(
    "/multifamily_properties",
    response_model=list[PropertyOut],
    response_class=JSONBytes,
    responses={200: json_example("The matching properties (a bare array)", examples.LIST_RESPONSE)},
)
async def list_multifamily_properties(
    request: Request,
    principal: CurrentPrincipal,
    session: RequestSession,
    query: Annotated[PropertyQuery, Query()],
) -> JSONBytes:
    """Lists multifamily properties (live ones by default), oldest first."""
    thresholds = runtime_of(request).settings.paid_feed_thresholds
    rows = await repository.list_properties(session, visible_accounts(principal, query.account_id), query)
    return json_ok([service.property_to_wire(row, thresholds) for row in rows])


@router.post(
    "/multifamily_properties",
    response_model=list[PropertyOut],
    response_class=JSONBytes,
    status_code=201,
    responses={
        201: json_example("Created: an array holding the new property", examples.CREATED_RESPONSE),
        200: {
            "model": list[PropertyOut],
            **json_example("Updated: an array holding the updated property", examples.UPDATED_RESPONSE),
        },
    },
)
async def upsert_multifamily_property(
    request: Request,
    principal: CurrentPrincipal,
    session: RequestSession,
    body: Annotated[PropertyUpsert, Body(openapi_examples=examples.REQUEST_EXAMPLES)],
) -> JSONBytes:
    """Creates a multifamily property (no `id`) or updates the fields sent (with `id`)."""
    thresholds = runtime_of(request).settings.paid_feed_thresholds
    record, created = await service.upsert_property(
        session, principal, actor_of(request, principal), body, thresholds
    )
    return json_ok([record], status_code=201 if created else 200)
