"""Mock routes built from the real server's routes, so that requests are validated identically.

Each mock endpoint takes the real endpoint's signature with two changes: the `CurrentPrincipal`
parameter becomes a check that a Bearer token is present (any token), and the `RequestSession`
parameter is dropped. Every query, path and body parameter stays, so FastAPI validates exactly as on
the real server, in the same order (the token check runs first there too), and the same error
handlers render the same 400/401 bodies.
"""

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.dependencies.utils import get_typed_signature
from fastapi.params import Depends as DependsParam
from fastapi.routing import APIRoute, RouteContext
from fastapi.security.utils import get_authorization_scheme_param
from starlette.responses import Response

from rentengine.auth.dependencies import current_principal
from rentengine.db.session import RequestSession
from rentengine.errors import Unauthorized
from rentengine.mock.checks import BODY_CHECKS
from rentengine.openapi import operation_id_of

_REQUEST = "mock_request__"


def has_bearer(authorization: str | None) -> bool:
    """`Authorization: Bearer <anything>`, read as the real server's `HTTPBearer` reads it."""
    scheme, credentials = get_authorization_scheme_param(authorization)
    return scheme.lower() == "bearer" and bool(credentials)


async def require_bearer(request: Request) -> None:
    if not has_bearer(request.headers.get("authorization")):
        raise Unauthorized()


BearerPresent = Annotated[None, Depends(require_bearer)]


@dataclass(frozen=True)
class MockRoute:
    route: APIRoute
    operation_id: str
    needs_token: bool


def _dependency(annotation: Any) -> Callable[..., Any] | None:
    """The callable of an `Annotated[..., Depends(f)]` parameter, if it is one."""
    if typing.get_origin(annotation) is not Annotated:
        return None
    for meta in typing.get_args(annotation)[1:]:
        if isinstance(meta, DependsParam):
            return meta.dependency
    return None


def mock_signature(endpoint: Callable[..., Any]) -> tuple[inspect.Signature, str, bool]:
    """The endpoint's signature for the mock, its `Request` parameter's name, and whether the
    operation needs a token. FastAPI hands the request to one parameter only: the endpoint's own
    when it has one."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    original = get_typed_signature(endpoint).parameters.values()
    request = next((p.name for p in original if p.annotation is Request), None)
    params = [] if request else [inspect.Parameter(_REQUEST, keyword, annotation=Request)]
    needs_token = False
    for param in original:
        dependency = _dependency(param.annotation)
        if dependency is not None and dependency is _dependency(RequestSession):
            continue
        if dependency is current_principal:
            needs_token = True
            params.append(param.replace(kind=keyword, annotation=BearerPresent))
        else:
            params.append(param.replace(kind=keyword))
    return inspect.Signature(params), request or _REQUEST, needs_token


def mock_route(context: RouteContext, respond: Callable[[Request], Response]) -> MockRoute:
    assert context.endpoint is not None
    assert context.path is not None
    assert context.name is not None
    signature, request, needs_token = mock_signature(context.endpoint)
    check = BODY_CHECKS.get(context.name)

    async def endpoint(**values: Any) -> Response:
        if check is not None:
            check(values["body"])
        return respond(values[request])

    endpoint.__signature__ = signature  # type: ignore[attr-defined]
    route = APIRoute(
        context.path,
        endpoint,
        methods=sorted(context.methods or ()),
        name=context.name,
        include_in_schema=False,
        response_class=Response,
    )
    return MockRoute(route, operation_id_of(context.name), needs_token)
