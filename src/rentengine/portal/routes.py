"""Mounts the portal under /portal: pages, static files, and its sign-in/CSRF error handling."""

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from rentengine.portal import agent_tokens, audit, keys, login, webhook_deliveries, webhooks
from rentengine.portal.pages import CsrfRefused, render
from rentengine.portal.sessions import SESSION_COOKIE, NotSignedIn

PREFIX = "/portal"


def mount_portal(app: FastAPI) -> None:
    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    @router.get("")
    async def portal_home(request: Request) -> RedirectResponse:
        target = "keys" if request.cookies.get(SESSION_COOKIE) else "login"
        return RedirectResponse(f"{PREFIX}/{target}", status_code=303)

    for pages in (
        login.router,
        keys.router,
        agent_tokens.router,
        audit.router,
        webhooks.router,
        webhook_deliveries.router,
    ):
        router.include_router(pages)
    app.include_router(router)
    app.mount(
        f"{PREFIX}/static", StaticFiles(directory=Path(__file__).parent / "static"), name="portal-static"
    )

    async def on_not_signed_in(_request: Request, _exc: Exception) -> Response:
        return RedirectResponse(f"{PREFIX}/login", status_code=303)

    async def on_csrf(request: Request, _exc: Exception) -> Response:
        return render(
            request,
            "error.html",
            403,
            message="This form has expired or did not come from this site. Reload the page and try again.",
        )

    app.add_exception_handler(NotSignedIn, on_not_signed_in)
    app.add_exception_handler(CsrfRefused, on_csrf)
