"""`create_mock_app()`: every documented operation answered from the OpenAPI document's examples.

The server's API app (`create_api_app`: routes and documents, no runtime, portal or database
engine) is built for its OpenAPI document, its routes (re-wrapped by `routes.mock_route`) and its
/docs page. Nothing is stored, no webhook is sent, no rate limit applies.
"""

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from rentengine import API_VERSION
from rentengine.api import API_PREFIX, create_api_app
from rentengine.errors import Unauthorized, install_handlers, render
from rentengine.kit.jsonutil import dumps
from rentengine.middleware import BodyGuard, RepeatedQueryGuard
from rentengine.mock.document_cache import cached_document
from rentengine.mock.examples import Operation, catalogue
from rentengine.mock.memo import ResponseMemo
from rentengine.mock.prefer import Preferences, answer, parse_prefer
from rentengine.mock.routes import MockRoute, has_bearer, mock_route
from rentengine.nulguard import NulGuard
from rentengine.openapi import api_routes, operation_id_of
from rentengine.settings import DEVELOPMENT_SECRET_KEY, Settings

_HEALTH = b'{"status":"ok","mode":"mock"}'
Respond = Callable[[str, Preferences], Response]


def mock_settings() -> Settings:
    """The server's settings (body limit, …) with a database path that is never opened."""
    unused = Path(tempfile.gettempdir()) / "rentengine-mock-unused.db"
    return Settings(
        database_url=f"sqlite:///{unused}",
        secret_key=DEVELOPMENT_SECRET_KEY,
        env="development",
        rate_limit="off",
    )


class PreferCode:
    """`Prefer: code=NNN` answers before validation: only the route and the token are checked."""

    def __init__(self, app: ASGIApp, routes: list[MockRoute], respond: Respond) -> None:
        self.app = app
        self.routes = routes
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", [])
        prefs = parse_prefer(v.decode("latin-1") for k, v in headers if k == b"prefer")
        found = None
        if prefs.code is not None:
            found = next((r for r in self.routes if r.route.matches(scope)[0] is Match.FULL), None)
        if found is None:
            # Unknown paths and methods fall through to the router's own 404 and 405.
            await self.app(scope, receive, send)
            return
        authorization = next((v.decode("latin-1") for k, v in headers if k == b"authorization"), None)
        if found.needs_token and prefs.code != "401" and not has_bearer(authorization):
            await render(Unauthorized())(scope, receive, send)
            return
        response = self.respond(found.operation_id, prefs)
        await response(scope, receive, send)


def create_mock_app(settings: Settings | None = None) -> FastAPI:
    """The mock ASGI app; every documented example is serialised here, before the first request."""
    settings = settings or mock_settings()
    real = create_api_app()
    # The reference page (/docs) renders the same document.
    document = real.openapi_schema = cached_document(real.openapi)
    contexts = api_routes(real)
    success = {operation_id_of(c.name): c.status_code or 200 for c in contexts if c.name is not None}
    operations: dict[str, Operation] = catalogue(document, success)

    def respond(operation_id: str, prefs: Preferences) -> Response:
        return answer(operations[operation_id], prefs, document)

    def responder(operation_id: str) -> Callable[[Request], Response]:
        def reply(request: Request) -> Response:
            return respond(operation_id, parse_prefer(request.headers.getlist("prefer")))

        return reply

    app = FastAPI(
        title=f"{real.title} (mock)",
        version=API_VERSION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    install_handlers(app)
    routes = [mock_route(c, responder(operation_id_of(c.name))) for c in contexts if c.name is not None]
    app.router.routes.extend(r.route for r in routes)
    _mount_meta(app, real, document)
    # Outermost last: size and content type (413/400) come first, as on the server; then
    # `Prefer: code`, which skips validation; then the NUL and repeated-parameter checks the server
    # also applies.
    app.add_middleware(RepeatedQueryGuard, prefix=API_PREFIX)
    app.add_middleware(NulGuard, prefix=API_PREFIX)
    app.add_middleware(PreferCode, routes=routes, respond=respond)
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes, prefix=API_PREFIX)
    # Outermost: a request seen before is answered from memory (see rentengine.mock.memo).
    app.add_middleware(ResponseMemo)
    app.state.document = document
    return app


def _mount_meta(app: FastAPI, real: FastAPI, document: dict[str, Any]) -> None:
    """/openapi.json (pre-serialised), the real app's /docs page (same document), /healthz."""
    served = dumps(document)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi() -> Response:
        return Response(served, media_type="application/json")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        return Response(_HEALTH, media_type="application/json")

    docs = [r for r in real.routes if isinstance(r, APIRoute) and r.path == "/docs"]
    app.router.routes.extend(docs)
