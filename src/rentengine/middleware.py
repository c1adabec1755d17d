"""Pure ASGI middleware: body size and content type checks, repeated query parameters, rate-limit and
security headers on every response."""

import types
from collections import Counter
from typing import Annotated, Any, Union, get_args, get_origin
from urllib.parse import parse_qsl

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, TypeAdapter
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rentengine.auth.ratelimit import rate_limit_headers
from rentengine.errors import QUERY_ERROR, BadRequest, PayloadTooLarge, detail, json_response, pointer, render

_BODY_METHODS = {b"POST", b"PUT", b"PATCH"}
# Browsers remember for a year that the site is HTTPS only.
HSTS = b"max-age=31536000"


class RateLimitHeaders:
    """Adds the `X-Ratelimit-*` headers that the Bearer dependency left in the request state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = rate_limit_headers(scope)
                if extra:
                    headers = list(message.get("headers", []))
                    headers.extend((k.lower().encode(), v.encode()) for k, v in extra.items())
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SecurityHeaders:
    """`X-Content-Type-Options: nosniff` on every response; `Strict-Transport-Security` over HTTPS.

    HTTPS is the request's scheme (behind a proxy, as the server was told by it), or always when the
    public base URL is an https one.
    """

    def __init__(self, app: ASGIApp, public_base_url: str) -> None:
        self.app = app
        self.always_https = public_base_url.strip().lower().startswith("https:")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = [(b"x-content-type-options", b"nosniff")]
        if self.always_https or scope.get("scheme") == "https":
            added.append((b"strict-transport-security", HSTS))
        names = {name for name, _ in added}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = [*headers, *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyGuard:
    """Refuses bodies over the size limit (413) and, with `json_only`, non-JSON bodies (400), before any
    work is done."""

    def __init__(self, app: ASGIApp, max_bytes: int, prefix: str, json_only: bool = True) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.prefix = prefix
        self.json_only = json_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"].encode() not in _BODY_METHODS
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await render(PayloadTooLarge())(scope, receive, send)
            return
        body = await self._read(receive)
        if body is None:
            await render(PayloadTooLarge())(scope, receive, send)
            return
        if self.json_only and body and not _is_json(headers.get(b"content-type", b"")):
            await render(
                BadRequest(
                    [
                        detail(
                            "contentType",
                            "",
                            "content type must be application/json",
                            {"allowed": ["application/json"]},
                            "#",
                        )
                    ]
                )
            )(scope, receive, send)
            return
        await self.app(scope, replay_body(body), send)

    async def _read(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


class RepeatedQueryGuard:
    """Refuses a scalar query parameter given more than once (`limit=1&limit=2`) with a 400.

    Without this, the last value would silently win. Array parameters (`statuses=A&statuses=B`) may
    repeat. Which parameters are scalars is read from the matched operation's query model, so new
    operations need nothing here. The 400 is AJV's for an array where a scalar is expected.
    """

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix
        # Per operation (by route identity): its scalar query parameters and their JSON types.
        self._scalars: dict[int, tuple[APIRoute, dict[str, str]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query: bytes = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if b"&" not in query or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        names = [name for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)]
        repeated = [name for name, count in Counter(names).items() if count > 1]
        scalars = self._scalars_of(scope) if repeated else {}
        refused = [name for name in repeated if name in scalars]
        if not refused:
            await self.app(scope, receive, send)
            return
        details = [
            detail(
                "type",
                pointer([name]),
                f"must be {scalars[name]}",
                {"type": scalars[name]},
                f"#/properties/{name}/type",
            )
            for name in refused
        ]
        await render(BadRequest(details, QUERY_ERROR))(scope, receive, send)

    def _scalars_of(self, scope: Scope) -> dict[str, str]:
        app = scope.get("app")
        router = getattr(app, "router", None)
        for context in iter_route_contexts(getattr(router, "routes", [])):
            route = context.original_route
            if isinstance(route, APIRoute) and context.matches(scope)[0] is Match.FULL:
                cached = self._scalars.get(id(route))
                if cached is None:
                    cached = self._scalars[id(route)] = (route, scalar_query_parameters(route.dependant))
                return cached[1]
        return {}


def scalar_query_parameters(dependant: Dependant) -> dict[str, str]:
    """The operation's query parameters that take one value, by the name a request uses, with their
    JSON type ("integer", "string", …); array parameters are left out."""
    out: dict[str, str] = {}
    for field in dependant.query_params:
        annotation = field.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out |= _model_scalars(annotation)
        elif not _is_array(annotation):
            out[field.alias] = _json_type(TypeAdapter(annotation or Any).json_schema())
    for sub in dependant.dependencies:
        out |= scalar_query_parameters(sub)
    return out


def _model_scalars(model: type[BaseModel]) -> dict[str, str]:
    schema = model.model_json_schema(by_alias=True)
    properties: dict[str, Any] = schema.get("properties", {})
    defs: dict[str, Any] = schema.get("$defs", {})
    by_name = bool(model.model_config.get("validate_by_name") or model.model_config.get("populate_by_name"))
    out: dict[str, str] = {}
    for name, info in model.model_fields.items():
        if _is_array(info.annotation):
            continue
        alias = info.alias or name
        kind = _json_type(properties.get(alias, {}), defs)
        out[alias] = kind
        if by_name:
            out[name] = kind
    return out


def _is_array(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _is_array(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return any(_is_array(arg) for arg in get_args(annotation))
    return origin in (list, tuple, set, frozenset) or annotation in (list, tuple, set, frozenset)


def _json_type(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> str:
    """The JSON type a (sub)schema accepts other than null; "string" when it does not say."""
    defs = {**(defs or {}), **schema.get("$defs", {})}
    if "$ref" in schema:
        return _json_type(defs.get(str(schema["$ref"]).rsplit("/", 1)[-1], {}), defs)
    kind = schema.get("type")
    if isinstance(kind, str) and kind != "null":
        return kind
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            if sub.get("type") != "null":
                return _json_type(sub, defs)
    if schema.get("enum"):
        value = schema["enum"][0]
        return {bool: "boolean", int: "integer", float: "number"}.get(type(value), "string")
    return "string"


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


def replay_body(body: bytes) -> Receive:
    """A `receive` that hands the already-read body to the app once."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


__all__ = [
    "BodyGuard",
    "RateLimitHeaders",
    "RepeatedQueryGuard",
    "SecurityHeaders",
    "json_response",
    "replay_body",
]
