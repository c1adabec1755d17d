"""Shared plumbing of portal pages: templates, the signed-in user, CSRF, redirects."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.changes.types import Actor
from rentengine.db.session import Database
from rentengine.portal.sessions import PortalUser, csrf_matches, portal_user
from rentengine.runtime import Runtime, runtime_of

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


class CsrfRefused(Exception):
    """A form without the session's CSRF token: answered 403, nothing done."""


@dataclass
class Page:
    """What a portal handler needs: the request, its transaction, the signed-in user, the runtime."""

    request: Request
    session: AsyncSession
    user: PortalUser
    runtime: Runtime

    @property
    def actor(self) -> Actor:
        # Portal writes are the user's own, made without an API key.
        return Actor(
            user_id=self.user.user_id,
            api_key_id=None,
            request_method=self.request.method,
            request_path=self.request.url.path,
        )

    async def check_csrf(self) -> dict[str, str]:
        """The submitted form, once its CSRF token has been checked."""
        form = await self.request.form()
        values = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        if not csrf_matches(self.user.csrf_token, values.get("csrf_token")):
            raise CsrfRefused()
        return values

    async def form_lists(self) -> dict[str, list[str]]:
        """Repeated fields (checkboxes) of the submitted form."""
        form = await self.request.form()
        out: dict[str, list[str]] = {}
        for key, value in form.multi_items():
            if isinstance(value, str):
                out.setdefault(key, []).append(value)
        return out

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return render(self.request, template, status_code, user=self.user, **context)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    response = TEMPLATES.TemplateResponse(
        request, template, {"request": request, **context}, status_code=status_code
    )
    # Pages may show a token or a signing secret once: never keep them in any cache.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def redirect(url: str) -> RedirectResponse:
    """After a POST, go to a page with GET (no resubmission on reload)."""
    return RedirectResponse(url, status_code=303)


async def _page(request: Request) -> AsyncIterator[Page]:
    runtime = runtime_of(request)
    db: Database = runtime.db
    async with db.transaction(writes=request.method == "POST") as session:
        user = await portal_user(session, request)
        yield Page(request=request, session=session, user=user, runtime=runtime)


# Committed before the response goes out, as for API requests.
PortalPage = Annotated[Page, Depends(_page, scope="function")]
