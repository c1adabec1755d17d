"""The one place that mounts routers, and the API app the server and the mock both start from."""

from typing import Any

from fastapi import APIRouter, FastAPI

from rentengine import API_PREFIX, API_VERSION
from rentengine.applications.endpoints import router as applications_router
from rentengine.audit.endpoints import router as audit_router
from rentengine.communications.endpoints import router as communications_router
from rentengine.comps.endpoints import router as comps_router
from rentengine.errors import install_handlers
from rentengine.leasing.endpoints import router as leasing_router
from rentengine.listings.endpoints import router as listings_router
from rentengine.lockboxes.endpoints import router as lockboxes_router
from rentengine.openapi import install_openapi, operation_id
from rentengine.properties.endpoints import router as properties_router
from rentengine.prospects.endpoints import router as prospects_router
from rentengine.reporting.endpoints import router as reporting_router
from rentengine.showings.endpoints import router as showings_router
from rentengine.units.endpoints import router as units_router
from rentengine.webhooks.delivery.endpoints import router as webhook_deliveries_router
from rentengine.webhooks.endpoints import router as webhooks_router

DESCRIPTION = """A self-hostable server for the RentEngine Public API 1.1.1: units, lockboxes and their
events, multifamily properties, prospects, leasing events, showings, rental application groups,
calls, messages, reports, the listings feed, market comps and webhooks.

Every endpoint needs `Authorization: Bearer <token>`; create a token in the portal or with
`rentengine keys create`. Errors are `{"error", "details"}` with AJV-style detail items."""


__all__ = ["API_PREFIX", "DESCRIPTION", "create_api_app", "mount_routers"]


def mount_routers(app: FastAPI) -> None:
    api = APIRouter(prefix=API_PREFIX)
    for router in (
        properties_router,
        audit_router,
        lockboxes_router,
        units_router,
        prospects_router,
        leasing_router,
        showings_router,
        applications_router,
        communications_router,
        listings_router,
        comps_router,
        reporting_router,
        webhooks_router,
    ):
        api.include_router(router)
    api.include_router(webhook_deliveries_router)
    app.include_router(api)


def create_api_app(public_base_url: str | None = None, **options: Any) -> FastAPI:
    """The public API's routes, error handlers, /openapi.json and /docs, and nothing else.

    `create_app` adds the runtime, the portal and the middleware; the mock wraps these routes
    without them, so it starts without the portal's templates or a database engine.
    `public_base_url` (a deployment's public origin) is listed among the document's servers.
    """
    app = FastAPI(
        title="RentEngine Public API",
        version=API_VERSION,
        description=DESCRIPTION,
        # /openapi.json and a self-contained /docs page come from rentengine.openapi.
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
        **options,
    )
    install_handlers(app)
    mount_routers(app)
    install_openapi(app, public_base_url)
    return app
