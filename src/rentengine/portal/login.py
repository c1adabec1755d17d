"""Sign-in and sign-out pages."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rentengine.kit.forwarded import request_client_address
from rentengine.kit.ids import new_token
from rentengine.portal.pages import PortalPage, redirect, render
from rentengine.portal.sessions import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_LIFETIME,
    csrf_matches,
    sign_in,
    sign_out,
)
from rentengine.runtime import runtime_of

router = APIRouter()


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or runtime_of(request).settings.public_base_url.startswith("https:")


def _login_form(
    request: Request, error: str | None = None, status_code: int = 200, email: str = ""
) -> HTMLResponse:
    # Before sign-in there is no session: the form's CSRF token is bound to a cookie instead
    # (double submit), so a cross-site form cannot sign a victim into an attacker's account.
    token = new_token(24)
    response = render(request, "login.html", status_code, csrf_token=token, error=error, email=email)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request), path="/portal"
    )
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> HTMLResponse:
    return _login_form(request)


@router.post("/login", response_model=None)
async def login(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        return _login_form(request, "The form expired. Please sign in again.", 403, email)
    runtime = runtime_of(request)
    limiter = runtime.login_limiter
    # Behind trusted reverse proxies the address is the client's, not the proxy's (a shared one).
    address = request_client_address(request.scope, runtime.settings.trusted_proxies)
    identities = (f"login:{email.strip().lower()}", f"login-ip:{address}")
    # Each attempt is counted (atomically) before its password is checked, so concurrent guesses
    # cannot all pass the check; a successful sign-in gives its attempt back.
    windows = [await limiter.hit(identity) for identity in identities]
    if not all(window.allowed for window in windows):
        return _login_form(request, "Too many failed sign-ins. Try again in 15 minutes.", 429, email)
    async with runtime.db.transaction() as session:
        signed_in = await sign_in(session, email, password)
    if signed_in is None:
        return _login_form(request, "Wrong email or password.", 401, email)
    for identity in identities:
        await limiter.release(identity)
    response = RedirectResponse("/portal/keys", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signed_in[1],
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/portal",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/portal")
    return response


@router.post("/logout", response_model=None)
async def logout(page: PortalPage) -> Response:
    await page.check_csrf()
    await sign_out(page.session, page.user.session_id)
    response = redirect("/portal/login")
    response.delete_cookie(SESSION_COOKIE, path="/portal")
    return response
