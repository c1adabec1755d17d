"""The one place that mounts routers."""

from fastapi import APIRouter, FastAPI

from rentengine.audit.endpoints import router as audit_router
from rentengine.properties.endpoints import router as properties_router

API_PREFIX = "/api/public/v1"


def mount_routers(app: FastAPI) -> None:
    api = APIRouter(prefix=API_PREFIX)
    for router in (properties_router, audit_router):
        api.include_router(router)
    app.include_router(api)
