"""Helpers shared by every endpoint module: JSON responses and the acting caller."""

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from rentengine.auth.service import Principal
from rentengine.changes.types import Actor
from rentengine.kit.jsonutil import dumps


class JSONBytes(JSONResponse):
    """A response whose body is already-built JSON bytes (orjson), skipping FastAPI's encoder.

    It subclasses `JSONResponse` because FastAPI documents a route's `response_model` only then.
    """

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else dumps(content)


def json_ok(body: Any, status_code: int = 200) -> JSONBytes:
    return JSONBytes(dumps(body), status_code=status_code)


def actor_of(request: Request, principal: Principal) -> Actor:
    return Actor(
        user_id=principal.user_id,
        api_key_id=principal.api_key_id,
        request_method=request.method,
        request_path=request.url.path,
    )
