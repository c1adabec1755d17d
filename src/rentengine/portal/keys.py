"""API keys page: list, create (token shown once), revoke (with confirmation)."""

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from rentengine.auth import repository as auth_repository
from rentengine.auth import service as auth
from rentengine.auth.models import User
from rentengine.portal.pages import Page, PortalPage, redirect

router = APIRouter()


async def _keys_context(page: Page) -> dict[str, Any]:
    keys = await auth_repository.keys_of(page.session, page.user.user_id)
    return {"keys": sorted(keys, key=lambda k: k.created_at, reverse=True), "section": "keys"}


@router.get("/keys", response_class=HTMLResponse)
async def keys_page(page: PortalPage) -> HTMLResponse:
    return page.render("keys.html", **await _keys_context(page))


@router.post("/keys", response_class=HTMLResponse)
async def create_key(page: PortalPage) -> HTMLResponse:
    form = await page.check_csrf()
    name = form.get("name", "").strip()
    if not name or len(name) > 200:
        return page.render(
            "keys.html",
            400,
            error="Give the key a name (at most 200 characters).",
            **await _keys_context(page),
        )
    user = await page.session.get(User, page.user.user_id)
    assert user is not None
    key, token = await auth.create_api_key(page.session, page.runtime.settings.secret_key, user, name)
    # The token exists only in this response: it is not stored, and the page is not cacheable.
    return page.render("keys.html", 201, new_key=key, new_token=token, **await _keys_context(page))


@router.get("/keys/{key_id}/revoke", response_class=HTMLResponse)
async def confirm_revoke(page: PortalPage, key_id: uuid.UUID) -> HTMLResponse:
    keys = {k.id: k for k in await auth_repository.keys_of(page.session, page.user.user_id)}
    if key_id not in keys:
        return page.render("error.html", 404, message="No such API key.")
    return page.render("revoke.html", key=keys[key_id], section="keys")


@router.post("/keys/{key_id}/revoke", response_model=None)
async def revoke_key(page: PortalPage, key_id: uuid.UUID) -> Response:
    await page.check_csrf()
    try:
        await auth.revoke_api_key(page.session, key_id, user_id=page.user.user_id)
    except auth.AuthRuleError:
        return page.render("error.html", 404, message="No such API key.")
    # This process refuses the key from its next request on (others within the cache's lifetime).
    page.runtime.verified_keys.forget(key_id=key_id)
    return redirect("/portal/keys")
