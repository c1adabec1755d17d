"""A webhook's deliveries page: status, attempts and next retry, with filters, paging and redelivery.

The list is the API's (`GET /webhooks/{id}/deliveries`: same query model, same service, same order,
oldest first) and redelivery is the API's redeliver service.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, get_args
from urllib.parse import parse_qsl, urlencode

import orjson
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from rentengine.errors import Conflict, NotFound
from rentengine.portal.filters import LAST_PAGE, FilterError, local_utc, page_number
from rentengine.portal.pages import Page, PortalPage, redirect
from rentengine.portal.webhooks import LABELS, account_names, caller_of, hook_view, not_found
from rentengine.validation import translate_errors
from rentengine.webhooks import service
from rentengine.webhooks.delivery import service as deliveries
from rentengine.webhooks.models import WebhookDelivery
from rentengine.webhooks.schemas import DeliveryQuery, DeliveryStatusName

router = APIRouter()

PAGE_SIZE = 25
STATUSES: tuple[str, ...] = get_args(DeliveryStatusName)
STATUS_BADGES = {
    "pending": "warn",
    "retrying": "warn",
    "succeeded": "ok",
    "dead_lettered": "bad",
    "cancelled": "muted",
}


@dataclass(frozen=True)
class Filters:
    """The submitted filters, as typed, so the form shows them back unchanged."""

    statuses: tuple[str, ...] = ()
    after: str = ""
    before: str = ""
    page: int = 1

    def query(self, page: int | None = None) -> str:
        pairs = [("status", s) for s in self.statuses]
        pairs += [(k, v) for k, v in (("after", self.after), ("before", self.before)) if v]
        number = self.page if page is None else page
        if number > 1:
            pairs.append(("page", str(number)))
        return urlencode(pairs)

    def link(self, webhook_id: uuid.UUID, page: int | None = None) -> str:
        query = self.query(page)
        return f"/portal/webhooks/{webhook_id}/deliveries" + (f"?{query}" if query else "")


@dataclass(frozen=True)
class AttemptRow:
    number: int
    at: str
    at_iso: str
    status_code: int | None
    duration_ms: int
    error: str | None
    response: str | None


@dataclass(frozen=True)
class DeliveryRow:
    id: str
    event_id: str
    table: str
    type: str
    status: str
    badge: str
    created: str
    created_iso: str
    next_attempt: str | None
    next_attempt_iso: str | None
    attempts: list[AttemptRow]
    payload: str
    redeliverable: bool


def _shown(iso: str) -> str:
    """A wire timestamp (UTC, `Z`) as the page shows it, to the second."""
    return iso[:19].replace("T", " ")


def delivery_row(record: dict[str, Any]) -> DeliveryRow:
    attempts = [
        AttemptRow(
            a["attempt_number"],
            _shown(a["attempted_at"]),
            a["attempted_at"],
            a["status_code"],
            a["duration_ms"],
            a["error"],
            a["response"],
        )
        for a in record["attempts"]
    ]
    next_at = record["next_attempt_at"]
    return DeliveryRow(
        id=record["id"],
        event_id=record["event_id"],
        table=record["table"],
        type=record["type"],
        status=record["status"],
        badge=STATUS_BADGES.get(record["status"], "muted"),
        created=_shown(record["created_at"]),
        created_iso=record["created_at"],
        next_attempt=_shown(next_at) if next_at else None,
        next_attempt_iso=next_at,
        attempts=attempts,
        payload=orjson.dumps(record["payload"], option=orjson.OPT_INDENT_2).decode(),
        redeliverable=record["status"] in deliveries.REDELIVERABLE,
    )


def typed_filters(params: Sequence[tuple[str, str]]) -> Filters:
    values = dict(params)
    return Filters(
        statuses=tuple(v for k, v in params if k == "status"),
        after=values.get("after", "").strip(),
        before=values.get("before", "").strip(),
    )


def parse_filters(params: Sequence[tuple[str, str]]) -> tuple[Filters, DeliveryQuery]:
    """The filters as typed and the API's query for them; FilterError says what is wrong."""
    typed = typed_filters(params)
    page = page_number(dict(params).get("page", "").strip())
    after, before = local_utc(typed.after, "Created after"), local_utc(typed.before, "Created before")
    if after is not None and before is not None and after >= before:
        raise FilterError("Created after must be earlier than created before.")
    try:
        query = DeliveryQuery.model_validate(
            {
                "status": list(typed.statuses) or None,
                "created_after": after,
                "created_before": before,
                "limit": PAGE_SIZE,
                "page_number": page - 1,
            }
        )
    except ValidationError as exc:
        items = translate_errors(exc.errors(), located=False)
        raise FilterError(" ".join(f"Status {item['message']}." for item in items)) from None
    return replace(typed, page=page), query


async def _tested(page: Page, webhook_id: uuid.UUID, raw: str) -> DeliveryRow | None:
    """The delivery a test send just made (named in the address after the redirect), if it is this hook's."""
    try:
        delivery_id = uuid.UUID(raw)
    except ValueError:
        return None
    stmt = select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.webhook_id == webhook_id
    )
    row = (await page.session.scalars(stmt)).one_or_none()
    if row is None:
        return None
    return delivery_row(await deliveries.delivery_record(page.session, row.id))


async def deliveries_page(
    page: Page, webhook_id: uuid.UUID, params: Sequence[tuple[str, str]], status: int = 200, **extra: Any
) -> HTMLResponse:
    """The page for the filters in `params` (a query string's pairs)."""
    caller = caller_of(page)
    try:
        hook = await service.visible_subscription(page.session, caller, webhook_id)
    except NotFound:
        return not_found(page)
    values = dict(params)
    context: dict[str, Any] = {
        "section": "webhooks",
        "hook": hook_view(hook, await account_names(page)),
        "statuses": STATUSES,
        "labels": LABELS,
        "tested": await _tested(page, webhook_id, values.get("tested", "")),
        "notice": "Delivery queued again." if values.get("notice") == "redelivered" else None,
        **extra,
    }
    try:
        filters, query = parse_filters(params)
    except FilterError as exc:
        context["error"] = str(exc)
        return page.render("webhooks_deliveries.html", 400, filters=typed_filters(params), rows=[], **context)
    records = await service.list_deliveries(page.session, caller, webhook_id, query)
    more = len(records) == PAGE_SIZE and filters.page < LAST_PAGE
    return page.render(
        "webhooks_deliveries.html",
        status,
        filters=filters,
        rows=[delivery_row(r) for r in records],
        previous=filters.link(webhook_id, filters.page - 1) if filters.page > 1 else None,
        next=filters.link(webhook_id, filters.page + 1) if more else None,
        **context,
    )


@router.get("/webhooks/{webhook_id}/deliveries", response_class=HTMLResponse)
async def webhook_deliveries(page: PortalPage, webhook_id: uuid.UUID) -> HTMLResponse:
    return await deliveries_page(page, webhook_id, page.request.query_params.multi_items())


def back_to(raw: str) -> list[tuple[str, str]]:
    """The filtered view a redeliver form came from: only the page's own parameters, and only when
    they are valid (a crafted or stale value leads back to the unfiltered page)."""
    back = [(k, v) for k, v in parse_qsl(raw) if k in ("status", "after", "before", "page")]
    try:
        parse_filters(back)
    except FilterError:
        return []
    return back


@router.post("/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", response_model=None)
async def redeliver(page: PortalPage, webhook_id: uuid.UUID, delivery_id: uuid.UUID) -> Response:
    form = await page.check_csrf()
    # Back to the same filtered view; re-encoded so that only our own page's parameters survive.
    back = back_to(form.get("back", ""))
    try:
        record = await deliveries.redeliver(page.session, caller_of(page), delivery_id)
    except NotFound:
        return page.render("error.html", 404, message="No such delivery.", section="webhooks")
    except Conflict as exc:
        reason = (exc.details or [{}])[0].get("message", "")
        message = f"Not redelivered: {exc.error.lower()} ({reason})."
        return await deliveries_page(page, webhook_id, back, 409, error=message)
    query = urlencode([*back, ("notice", "redelivered")])
    return redirect(f"/portal/webhooks/{record['webhook_id']}/deliveries?{query}")
