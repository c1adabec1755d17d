from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from rentengine.auth.access import visible_accounts
from rentengine.auth.dependencies import CurrentPrincipal
from rentengine.db.session import RequestSession
from rentengine.http import JSONBytes, actor_of, json_ok
from rentengine.openapi import json_example, json_examples
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
    responses={
        200: json_examples(
            "Created or updated: an array holding the property",
            {
                "created": {"summary": "Created (no `id` sent)", "value": examples.CREATED_RESPONSE},
                "updated": {"summary": "Updated (with `id`)", "value": examples.UPDATED_RESPONSE},
            },
        )
    },
)
async def upsert_multifamily_property(
    request: Request,
    principal: CurrentPrincipal,
    session: RequestSession,
    body: Annotated[PropertyUpsert, Body(openapi_examples=examples.REQUEST_EXAMPLES)],
) -> JSONBytes:
    """Creates a multifamily property (no `id`) or updates the fields sent (with `id`).

    200 either way, as the hosted API answers (its one documented success: "created or updated")."""
    thresholds = runtime_of(request).settings.paid_feed_thresholds
    record, _created = await service.upsert_property(
        session, principal, actor_of(request, principal), body, thresholds
    )
    return json_ok([record])
