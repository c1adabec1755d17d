"""`create_app(settings)`: the ASGI application. Nothing happens at import time."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import Response

from rentengine.api import API_PREFIX, create_api_app
from rentengine.auth.dependencies import KeyUsageWriter
from rentengine.health import Readiness
from rentengine.middleware import BodyGuard, RateLimitHeaders, RepeatedQueryGuard, SecurityHeaders
from rentengine.nulguard import NulGuard
from rentengine.observability.metrics import NodeMetrics
from rentengine.observability.middleware import RequestObservability
from rentengine.portal.routes import PREFIX as PORTAL_PREFIX
from rentengine.portal.routes import mount_portal
from rentengine.runtime import Runtime
from rentengine.settings import Settings
from rentengine.units.fastlane import PATH as UNITS_PATH
from rentengine.units.fastlane import UnitPages
from rentengine.webhooks.delivery.metrics import WebhookMetrics
from rentengine.webhooks.delivery.worker import DeliveryWorker


def create_app(settings: Settings, runtime: Runtime | None = None, *, worker: bool = False) -> FastAPI:
    """Builds the app; a given `runtime` (tests) is used as is and not disposed on shutdown.

    With `worker`, the webhook delivery worker runs inside the app's lifespan (`rentengine serve`
    without `--no-worker`); it is off by default so that apps built by tests never send anything.
    """
    owned = runtime is None
    app_runtime = runtime or Runtime.build(settings)
    metrics = WebhookMetrics()
    readiness = Readiness(app_runtime)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        delivery_worker = DeliveryWorker(settings, app_runtime.db, metrics) if worker else None
        if delivery_worker is not None:
            await delivery_worker.start()
        try:
            with readiness.draining_on_stop_signals():
                yield
        finally:
            if delivery_worker is not None:
                await delivery_worker.stop()
            if owned:
                await app_runtime.close()

    app = create_api_app(settings.public_base_url, lifespan=lifespan)
    app.state.runtime = app_runtime
    app.state.webhook_metrics = metrics
    node_metrics = NodeMetrics(metrics.registry, app_runtime)
    mount_portal(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        """For load balancers: 503 while a dependency fails or the process drains (see `health`)."""
        return await readiness.response(request.query_params.getlist("exclude"))

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        await node_metrics.refresh()
        return Response(metrics.render(), media_type=metrics.content_type)

    app.add_middleware(RepeatedQueryGuard, prefix=API_PREFIX)
    app.add_middleware(NulGuard, prefix=API_PREFIX)
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes, prefix=API_PREFIX)
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes, prefix=PORTAL_PREFIX, json_only=False)
    # The simple `GET /units` pages skip the framework; inside the header middleware, like the routes.
    app.add_middleware(UnitPages)
    app.add_middleware(RateLimitHeaders)
    app.add_middleware(KeyUsageWriter)
    # Outermost: its headers go on every response, the other middleware's refusals included.
    app.add_middleware(SecurityHeaders, public_base_url=settings.public_base_url)
    # Around everything: the request id is bound and the time taken for every response.
    app.add_middleware(RequestObservability, metrics=node_metrics, direct_routes=frozenset({UNITS_PATH}))
    return app


# Set by `rentengine serve` for the processes it starts: whether each runs a delivery worker.
DELIVERY_WORKER_ENV = "RENTENGINE_SERVE_DELIVERY_WORKER"


def serve_app() -> FastAPI:
    """The app of one `rentengine serve` process (uvicorn's factory; settings from the environment)."""
    return create_app(Settings(), worker=os.environ.get(DELIVERY_WORKER_ENV) == "1")
