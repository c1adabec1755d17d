import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from rentengine.auth.access import visible_accounts
from rentengine.auth.dependencies import CurrentPrincipal
from rentengine.db.session import RequestSession
from rentengine.http import JSONBytes, actor_of, json_ok
from rentengine.openapi import json_example
from rentengine.runtime import runtime_of
from rentengine.webhooks import examples as ex
from rentengine.webhooks import repository, service
from rentengine.webhooks.schemas import DeliveryOut, DeliveryQuery, WebhookOut, WebhookQuery, WebhookUpsert
from rentengine.webhooks.secrets import keyring_of
from rentengine.webhooks.wire import subscription_to_wire

router = APIRouter(tags=["Webhooks"])


@router.get(
    "/webhooks",
    response_model=list[WebhookOut],
    response_class=JSONBytes,
    responses={200: json_example("The subscriptions, oldest first (a bare array)", [ex.SUBSCRIPTION])},
)
async def list_webhooks(
    request: Request,
    principal: CurrentPrincipal,
    session: RequestSession,
    query: Annotated[WebhookQuery, Query()],
) -> JSONBytes:
    """Lists the webhook subscriptions of the caller's accounts (deleted ones excluded)."""
    rows = await repository.list_subscriptions(session, visible_accounts(principal, query.account_id), query)
    keyring = keyring_of(runtime_of(request).settings)
    return json_ok([subscription_to_wire(row, keyring) for row in rows])


@router.post(
    "/webhooks",
    response_model=WebhookOut,
    response_class=JSONBytes,
    status_code=201,
    responses={
        201: json_example("Created: the subscription with its signing secret", ex.SUBSCRIPTION),
        200: {"model": WebhookOut, **json_example("Updated: the subscription", ex.DISABLED)},
    },
)
async def upsert_webhook(
    request: Request,
    principal: CurrentPrincipal,
    session: RequestSession,
    body: Annotated[WebhookUpsert, Body(openapi_examples=ex.REQUEST_EXAMPLES)],
) -> JSONBytes:
    """Creates a subscription (no `id`) or updates the fields sent (with `id`)."""
    settings = runtime_of(request).settings
    record, created = await service.upsert_subscription(
        session,
        principal,
        actor_of(request, principal),
        body,
        settings.webhook_allow_private_targets,
        keyring_of(settings),
    )
    return json_ok(record, status_code=201 if created else 200)


@router.delete(
    "/webhooks/{id}",
    status_code=204,
    response_class=Response,
    responses={204: {"description": "Deleted; its pending and retrying deliveries are cancelled"}},
)
async def delete_webhook(
    request: Request, principal: CurrentPrincipal, session: RequestSession, id: uuid.UUID
) -> Response:
    """Deletes a subscription; it is then not found anywhere."""
    await service.delete_subscription(session, principal, actor_of(request, principal), id)
    return Response(status_code=204)


@router.get(
    "/webhooks/{id}/deliveries",
    response_model=list[DeliveryOut],
    response_class=JSONBytes,
    responses={200: json_example("The deliveries, oldest first, with their attempts", [ex.DELIVERY])},
)
async def list_webhook_deliveries(
    principal: CurrentPrincipal,
    session: RequestSession,
    id: uuid.UUID,
    query: Annotated[DeliveryQuery, Query()],
) -> JSONBytes:
    """Lists a subscription's deliveries (the outbox and its attempt log), oldest first."""
    return json_ok(await service.list_deliveries(session, principal, id, query))
