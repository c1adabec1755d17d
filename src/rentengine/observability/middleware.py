"""`RequestObservability`: the outermost middleware. Per HTTP request it

- takes the balancer's well-formed `X-Request-Id` or makes one, binds it for everything the request
  runs (log lines, the audit entry, webhook deliveries) and returns it in the `X-Request-Id` header;
- times the request into the latency histogram, labelled by route template and status class;
- writes one access-log line after the response (when `rentengine.access` logs INFO): method, path
  without its query string (which may hold anything), route, status, duration and client address.
"""

import logging
import time

from fastapi.routing import iter_route_contexts
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rentengine.observability.logs import ACCESS_LOGGER
from rentengine.observability.metrics import UNMATCHED, NodeMetrics
from rentengine.observability.requestid import (
    HEADER,
    accepted_request_id,
    bind_request_id,
    unbind_request_id,
)

access_log = logging.getLogger(ACCESS_LOGGER)
# Paths longer than this are cut in the access log (the path is the caller's to choose).
MAX_LOGGED_PATH = 512


class RequestObservability:
    def __init__(
        self, app: ASGIApp, metrics: NodeMetrics, direct_routes: frozenset[str] = frozenset()
    ) -> None:
        """`direct_routes`: paths answered by middleware without routing (the `GET /units` fast
        lane), labelled by their own path."""
        self.app = app
        self.metrics = metrics
        self.direct_routes = direct_routes
        # Per route object, its whole template: an included router's route knows only its own part
        # (`/units`), the prefix (`/api/public/v1`) is the inclusion's. Read at the first request,
        # when every route is in place.
        self._templates: dict[int, str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = accepted_request_id(_header(scope, HEADER))
        root_path: str = scope.get("root_path", "")
        status = 500  # what the server answers when the app fails before starting a response
        id_header = (HEADER, request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                headers.append(id_header)
                message["headers"] = headers
            await send(message)

        token = bind_request_id(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            self._record(scope, root_path, status, time.perf_counter() - started)
            # Left bound: the framework's handler of unexpected errors, outside this middleware,
            # logs the error and answers the 500 for this request, in this same task.
            raise
        self._record(scope, root_path, status, time.perf_counter() - started)
        unbind_request_id(token)

    def _record(self, scope: Scope, root_path: str, status: int, seconds: float) -> None:
        route = self._route_label(scope, root_path)
        self.metrics.observe_request(scope["method"], route, status, seconds)
        if access_log.isEnabledFor(logging.INFO):
            _log_access(scope, route, status, seconds)

    def _route_label(self, scope: Scope, root_path: str) -> str:
        """The matched route's template; the routing of a mount adds its prefix to `root_path`."""
        route = scope.get("route")
        if route is None:
            path: str = scope["path"]
            return path if path in self.direct_routes else UNMATCHED
        if self._templates is None:
            self._templates = _templates_of(scope.get("app"))
        known = self._templates.get(id(route))
        if known is not None:
            return known
        prefix = scope.get("root_path", "")[len(root_path) :]
        if isinstance(route, Mount):  # a mounted app without routes of its own (static files)
            return f"{prefix}/{{path}}"
        template = getattr(route, "path_format", None) or getattr(route, "path", UNMATCHED)
        return f"{prefix}{template}"


def _templates_of(app: object) -> dict[int, str]:
    routes = getattr(getattr(app, "router", None), "routes", [])
    templates = {}
    for context in iter_route_contexts(routes):
        if context.path_format:
            templates[id(context.original_route)] = context.path_format
    return templates


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _log_access(scope: Scope, route: str, status: int, seconds: float) -> None:
    client = scope.get("client")
    address = f"{client[0]}:{client[1]}" if client else "-"
    path = _printable(str(scope["path"])[:MAX_LOGGED_PATH])
    method = scope["method"]
    version = scope.get("http_version", "1.1")
    duration_ms = round(seconds * 1000, 2)
    access_log.info(
        '%s - "%s %s HTTP/%s" %d %.2f ms',
        address,
        method,
        path,
        version,
        status,
        duration_ms,
        extra={
            "fields": {
                "method": method,
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": duration_ms,
                "client": address,
            }
        },
    )


def _printable(text: str) -> str:
    """Control characters escaped: a decoded `%0A` in a path must not start a forged log line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
