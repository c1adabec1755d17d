"""Webhooks pages: list, create, edit, enable/disable, delete, the signing secret and the test send.

The rules live in the webhook services only: a form becomes the API's `WebhookUpsert`, the page calls
the service functions the API calls, with the signed-in user's accounts as the caller, and the 400
details they raise are shown next to the form fields they name.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from rentengine.auth.models import Account
from rentengine.auth.service import Principal
from rentengine.errors import BadRequest, Detail, Forbidden, NotFound, detail
from rentengine.kit.clock import isoformat_z
from rentengine.portal.pages import CsrfRefused, Page, PortalPage, redirect, render
from rentengine.portal.sessions import csrf_matches, portal_user
from rentengine.runtime import runtime_of
from rentengine.validation import translate_errors
from rentengine.webhooks import repository, service
from rentengine.webhooks.delivery import testsend
from rentengine.webhooks.models import WebhookSubscription
from rentengine.webhooks.schemas import EVENT_TYPES, WEBHOOK_TABLES, WebhookUpsert
from rentengine.webhooks.secrets import keyring_of, signing_secret_of

router = APIRouter()

NOTICES = {
    "created": "Webhook created. Send a test to check that your receiver answers.",
    "saved": "Changes saved.",
    "enabled": "Webhook enabled: events from now on are delivered.",
    "disabled": "Webhook disabled: nothing is sent until you enable it; open deliveries were cancelled.",
    "deleted": "Webhook deleted.",
}
LABELS = {
    "account_id": "Account",
    "url": "URL",
    "tables": "Tables",
    "event_types": "Event types",
    "api_key": "API key",
    "enabled": "Enabled",
}
# Service messages are written for API clients; a few read better in a form's words.
_FRIENDLY = {
    ("url", "required"): "Enter the URL that receives the events.",
    ("url", "minLength"): "Enter the URL that receives the events.",
    ("url", "publicTarget"): "The URL's target is not allowed.",
    ("tables", "required"): "Choose at least one table.",
    ("tables", "minItems"): "Choose at least one table.",
    ("event_types", "required"): "Choose at least one event type.",
    ("event_types", "minItems"): "Choose at least one event type.",
    ("api_key", "pattern"): "The API key may hold only visible ASCII characters, with spaces only inside.",
    ("account_id", "forbidden"): "Choose one of your accounts.",
}


@dataclass(frozen=True)
class Hook:
    """A subscription as the pages show it; the signing secret is left out until it is asked for."""

    id: uuid.UUID
    url: str
    account: str
    tables: list[str]
    event_types: list[str]
    enabled: bool
    has_api_key: bool
    created: str
    created_at: str


@dataclass
class WebhookForm:
    """The form as submitted, shown back unchanged when the service refuses it."""

    account_id: str = ""
    url: str = ""
    tables: list[str] = field(default_factory=list)
    event_types: list[str] = field(default_factory=lambda: list(EVENT_TYPES))
    api_key: str = ""
    remove_api_key: bool = False
    enabled: bool = True


def caller_of(page: Page) -> Principal:
    """The signed-in user as the services' caller: every account of the user, no API key."""
    return Principal(page.user.user_id, None, page.user.account_ids)


async def account_names(page: Page) -> dict[uuid.UUID, str]:
    """The user's accounts by name order."""
    stmt = select(Account.id, Account.name).where(Account.id.in_(list(page.user.account_ids)))
    result = await page.session.execute(stmt.order_by(Account.name, Account.id))
    return {row.id: row.name for row in result}


def hook_view(row: WebhookSubscription, accounts: dict[uuid.UUID, str]) -> Hook:
    created = isoformat_z(row.created_at)
    return Hook(
        id=row.id,
        url=row.url,
        account=accounts.get(row.account_id, str(row.account_id)),
        tables=list(row.tables),
        event_types=list(row.event_types),
        enabled=row.enabled,
        has_api_key=row.api_key_sealed is not None,
        created=created[:16].replace("T", " "),
        created_at=created,
    )


def field_errors(details: Sequence[Detail]) -> dict[str, list[str]]:
    """The services' 400 details by form field ("" for the form as a whole), in words for the form."""
    out: dict[str, list[str]] = {}
    for item in details:
        parts = item["instancePath"].split("/")
        name = parts[1] if len(parts) > 1 else str(item["params"].get("missingProperty", ""))
        message = _FRIENDLY.get((name, item["keyword"]))
        if message is None:
            message = f"{LABELS.get(name, 'The form')} {item['message']}."
        if message not in out.get(name, []):
            out.setdefault(name, []).append(message)
    return out


def read_form(values: dict[str, list[str]]) -> WebhookForm:
    def one(name: str) -> str:
        return (values.get(name) or [""])[-1].strip()

    return WebhookForm(
        account_id=one("account_id"),
        url=one("url"),
        tables=values.get("tables", []),
        event_types=values.get("event_types", []),
        api_key=one("api_key"),
        remove_api_key=one("remove_api_key") == "1",
        enabled=one("enabled") == "1",
    )


def upsert_body(form: WebhookForm, webhook_id: uuid.UUID | None) -> dict[str, Any]:
    """The API request the form stands for: every field on create, the form's fields on edit."""
    body: dict[str, Any] = {"url": form.url, "tables": form.tables, "event_types": form.event_types}
    if webhook_id is None:
        body |= {"account_id": form.account_id, "enabled": form.enabled}
    else:
        body["id"] = webhook_id
    if form.api_key:
        body["api_key"] = form.api_key
    elif form.remove_api_key and webhook_id is not None:
        body["api_key"] = None
    return body


async def save(page: Page, body: dict[str, Any]) -> tuple[dict[str, Any] | None, list[Detail]]:
    """Upserts through the service: the record, or the details of why it was refused."""
    settings = page.runtime.settings
    try:
        upsert = WebhookUpsert.model_validate(body)
        record, _ = await service.upsert_subscription(
            page.session,
            caller_of(page),
            page.actor,
            upsert,
            settings.webhook_allow_private_targets,
            keyring_of(settings),
        )
    except ValidationError as exc:
        return None, translate_errors(exc.errors(), located=False)
    except BadRequest as exc:
        return None, exc.details or []
    except Forbidden:
        return None, [detail("forbidden", "/account_id", "must be one of your accounts")]
    return record, []


def not_found(page: Page) -> HTMLResponse:
    return page.render("error.html", 404, message="No such webhook.", section="webhooks")


async def _visible(page: Page, webhook_id: uuid.UUID) -> WebhookSubscription | None:
    try:
        return await service.visible_subscription(page.session, caller_of(page), webhook_id)
    except NotFound:
        return None


@router.get("/webhooks", response_class=HTMLResponse)
async def webhooks_page(page: PortalPage, notice: str = "") -> HTMLResponse:
    accounts = await account_names(page)
    rows = await repository.list_subscriptions(page.session, page.user.account_ids)
    return page.render(
        "webhooks.html",
        section="webhooks",
        hooks=[hook_view(row, accounts) for row in reversed(rows)],
        accounts=accounts,
        all_tables=list(WEBHOOK_TABLES),
        notice=NOTICES.get(notice),
    )


async def _form_page(
    page: Page,
    status: int,
    form: WebhookForm,
    hook: Hook | None,
    errors: Sequence[Detail] = (),
    **extra: Any,
) -> HTMLResponse:
    accounts = await account_names(page)
    shown = {"url", "tables", "event_types", "api_key"}
    if hook is None and len(accounts) > 1:
        shown.add("account_id")
    by_field: dict[str, list[str]] = {}
    # A message for a field the form does not show goes above the form.
    for name, messages in field_errors(errors).items():
        by_field.setdefault(name if name in shown else "", []).extend(messages)
    return page.render(
        "webhooks_form.html",
        status,
        section="webhooks",
        form=form,
        hook=hook,
        accounts=accounts,
        tables=WEBHOOK_TABLES,
        event_types=EVENT_TYPES,
        errors=by_field,
        **extra,
    )


@router.get("/webhooks/new", response_class=HTMLResponse)
async def new_webhook(page: PortalPage) -> HTMLResponse:
    accounts = await account_names(page)
    return await _form_page(page, 200, WebhookForm(account_id=str(next(iter(accounts), ""))), None)


@router.post("/webhooks", response_model=None)
async def create_webhook(page: PortalPage) -> Response:
    await page.check_csrf()
    form = read_form(await page.form_lists())
    record, errors = await save(page, upsert_body(form, None))
    if record is None:
        status = 403 if any(e["keyword"] == "forbidden" for e in errors) else 400
        return await _form_page(page, status, form, None, errors)
    return redirect(f"/portal/webhooks/{record['id']}?notice=created")


def _form_of(row: WebhookSubscription) -> WebhookForm:
    return WebhookForm(
        account_id=str(row.account_id),
        url=row.url,
        tables=list(row.tables),
        event_types=list(row.event_types),
        enabled=row.enabled,
    )


@router.get("/webhooks/{webhook_id}", response_class=HTMLResponse)
async def edit_webhook(page: PortalPage, webhook_id: uuid.UUID, notice: str = "") -> HTMLResponse:
    row = await _visible(page, webhook_id)
    if row is None:
        return not_found(page)
    hook = hook_view(row, await account_names(page))
    return await _form_page(page, 200, _form_of(row), hook, notice=NOTICES.get(notice))


@router.post("/webhooks/{webhook_id}", response_model=None)
async def update_webhook(page: PortalPage, webhook_id: uuid.UUID) -> Response:
    await page.check_csrf()
    row = await _visible(page, webhook_id)
    if row is None:
        return not_found(page)
    form = read_form(await page.form_lists())
    hook = hook_view(row, await account_names(page))
    record, errors = await save(page, upsert_body(form, webhook_id))
    if record is None:
        return await _form_page(page, 400, form, hook, errors)
    return redirect(f"/portal/webhooks/{webhook_id}?notice=saved")


@router.post("/webhooks/{webhook_id}/secret", response_class=HTMLResponse)
async def reveal_secret(page: PortalPage, webhook_id: uuid.UUID) -> HTMLResponse:
    """Shows the signing secret in this response only (a POST: it stays out of history and logs)."""
    await page.check_csrf()
    row = await _visible(page, webhook_id)
    if row is None:
        return not_found(page)
    hook = hook_view(row, await account_names(page))
    secret = signing_secret_of(keyring_of(page.runtime.settings), row)
    return await _form_page(page, 200, _form_of(row), hook, secret=secret)


@router.post("/webhooks/{webhook_id}/enabled", response_model=None)
async def set_enabled(page: PortalPage, webhook_id: uuid.UUID) -> Response:
    form = await page.check_csrf()
    if await _visible(page, webhook_id) is None:
        return not_found(page)
    enabled = form.get("enabled") == "true"
    record, errors = await save(page, {"id": webhook_id, "enabled": enabled})
    if record is None:
        messages = [m for found in field_errors(errors).values() for m in found]
        return page.render("error.html", 400, message=" ".join(messages), section="webhooks")
    notice = "enabled" if enabled else "disabled"
    if form.get("back") == "edit":
        return redirect(f"/portal/webhooks/{webhook_id}?notice={notice}")
    return redirect(f"/portal/webhooks?notice={notice}")


@router.get("/webhooks/{webhook_id}/delete", response_class=HTMLResponse)
async def confirm_delete(page: PortalPage, webhook_id: uuid.UUID) -> HTMLResponse:
    row = await _visible(page, webhook_id)
    if row is None:
        return not_found(page)
    hook = hook_view(row, await account_names(page))
    return page.render("webhooks_delete.html", section="webhooks", hook=hook)


@router.post("/webhooks/{webhook_id}/delete", response_model=None)
async def delete_webhook(page: PortalPage, webhook_id: uuid.UUID) -> Response:
    await page.check_csrf()
    try:
        await service.delete_subscription(page.session, caller_of(page), page.actor, webhook_id)
    except NotFound:
        return not_found(page)
    return redirect("/portal/webhooks?notice=deleted")


@router.post("/webhooks/{webhook_id}/test", response_model=None)
async def send_test(request: Request, webhook_id: uuid.UUID) -> Response:
    """One attempt now, made by the API's own test send, then the deliveries page shows its outcome.

    Not a `PortalPage`: that would hold a write transaction open while the receiver answers, and the
    test send commits in transactions of its own.
    """
    runtime = runtime_of(request)
    async with runtime.db.transaction(writes=False) as session:
        user = await portal_user(session, request)
    sent = (await request.form()).get("csrf_token")
    if not csrf_matches(user.csrf_token, sent if isinstance(sent, str) else None):
        raise CsrfRefused()
    try:
        caller = Principal(user.user_id, None, user.account_ids)
        document, metrics = request.app.openapi(), request.app.state.webhook_metrics
        delivery = await testsend.send_test(
            runtime.db, runtime.settings, caller, webhook_id, document, metrics
        )
    except NotFound:
        return render(request, "error.html", 404, user=user, message="No such webhook.", section="webhooks")
    return redirect(f"/portal/webhooks/{webhook_id}/deliveries?tested={delivery['id']}")
