"""The one place that mounts routers."""

from fastapi import APIRouter, FastAPI

from rentengine.audit.endpoints import router as audit_router
from rentengine.lockboxes.endpoints import router as lockboxes_router
from rentengine.properties.endpoints import router as properties_router
from rentengine.units.endpoints import router as units_router
from rentengine.webhooks.delivery_endpoints import router as webhook_deliveries_router
from rentengine.webhooks.endpoints import router as webhooks_router

API_PREFIX = "/api/public/v1"


def mount_routers(app: FastAPI) -> None:
    api = APIRouter(prefix=API_PREFIX)
    for router in (properties_router, audit_router, lockboxes_router, units_router, webhooks_router):
        api.include_router(router)
    api.include_router(webhook_deliveries_router)
    app.include_router(api)
