"""Domain errors carry their HTTP status; one set of handlers renders `{error, details}`."""

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from rentengine.auth.ratelimit import rate_limit_headers
from rentengine.kit.jsonutil import dumps
from rentengine.kit.unreachable import is_unreachable
from rentengine.observability.requestid import current_request_id

log = logging.getLogger(__name__)

Detail = dict[str, Any]
BODY_ERROR = "Invalid request parameters"
QUERY_ERROR = "Invalid query parameters"
_FASTAPI_UNPARSABLE_BODY = "There was an error parsing the body"
# What a 503 for an unreachable database asks a client to wait: PgBouncer or PostgreSQL restarting.
UNAVAILABLE_RETRY_AFTER_SECONDS = 1


class ApiError(Exception):
    status_code = 500
    error = "Internal server error"

    def __init__(self, error: str | None = None, details: Sequence[Detail] | None = None) -> None:
        super().__init__(error or self.error)
        self.error = error or self.error
        self.details = list(details) if details is not None else None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.error}
        if self.details is not None:
            body["details"] = self.details
        return body

    def headers(self) -> dict[str, str]:
        return {}


class BadRequest(ApiError):
    status_code = 400
    error = BODY_ERROR

    def __init__(self, details: Sequence[Detail], error: str | None = None) -> None:
        super().__init__(error, details)


class Unauthorized(ApiError):
    status_code = 401
    error = "Unauthorized"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class Forbidden(ApiError):
    status_code = 403
    error = "Forbidden"


class NotFound(ApiError):
    status_code = 404
    error = "Not found"


class Conflict(ApiError):
    status_code = 409
    error = "Conflict"


class PayloadTooLarge(ApiError):
    status_code = 413
    error = "Request body too large"


class TooManyRequests(ApiError):
    status_code = 429
    error = "Too many requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = max(1, retry_after)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class ServiceUnavailable(ApiError):
    """The database could not be reached and nothing was written: the request may be sent again."""

    status_code = 503
    error = "Service unavailable, retry shortly"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)}


def detail(
    keyword: str,
    path: str,
    message: str,
    params: Mapping[str, Any] | None = None,
    schema_path: str | None = None,
) -> Detail:
    """One AJV v8-style error item."""
    return {
        "keyword": keyword,
        "instancePath": path,
        # AJV v6's name for the same pointer, which the vendor's examples show: clients read either.
        "dataPath": path,
        "schemaPath": schema_path or f"#/{keyword}",
        "params": dict(params or {}),
        "message": message,
    }


def pointer(parts: Iterable[str | int]) -> str:
    """A JSON Pointer (RFC 6901) from path parts."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        dumps(body), status_code=status, headers=dict(headers or {}), media_type="application/json"
    )


def render(exc: ApiError) -> Response:
    return json_response(exc.status_code, exc.body(), exc.headers())


def unparsable_body(cause: BaseException | None) -> Detail:
    reason = "nested too deeply" if isinstance(cause, RecursionError) else "not UTF-8 text"
    return detail("json", "", f"body must be valid JSON ({reason})", {}, "#")


def allowed_methods(request: Request) -> list[str]:
    """Every method served at the request's path, across all routes that share the path."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        if route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return sorted(methods)


def install_handlers(app: FastAPI) -> None:
    from rentengine.validation import translate_errors

    async def on_api_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return render(exc)

    async def on_validation(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        in_query = all(err.get("loc", ("body",))[0] == "query" for err in errors)
        return render(BadRequest(translate_errors(errors), QUERY_ERROR if in_query else BODY_ERROR))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400 and exc.detail == _FASTAPI_UNPARSABLE_BODY:
            # FastAPI's own refusal of a body it cannot decode: invalid UTF-8, nesting too deep.
            return render(BadRequest([unparsable_body(exc.__cause__)]))
        messages = {404: "Not found", 405: "Method not allowed"}
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names only the first route matching the path; GET and POST are separate routes.
            headers["Allow"] = ", ".join(allowed_methods(request))
        return json_response(
            exc.status_code, {"error": messages.get(exc.status_code, str(exc.detail))}, headers
        )

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        # This response bypasses the header middleware (it is sent from the outermost layer).
        headers = {**rate_limit_headers(request.scope), "X-Content-Type-Options": "nosniff"}
        request_id = current_request_id()  # still bound by the observability middleware
        if request_id is not None:
            headers["X-Request-Id"] = request_id
        if is_unreachable(exc):
            # Outside a request's transaction (a key lookup, the units fast lane): nothing was written.
            log.warning("database unreachable: %s", type(exc).__name__)
            unavailable = ServiceUnavailable()
            return json_response(503, unavailable.body(), {**headers, **unavailable.headers()})
        log.exception("unhandled error", exc_info=exc)
        return json_response(500, {"error": "Internal server error"}, headers)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
