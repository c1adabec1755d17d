"""GET /marketing/listings/{accountId}: public, cacheable, readable from any website's scripts."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import Response

from rentengine.auth.ratelimit import remember_headers
from rentengine.db.session import RequestSession
from rentengine.errors import ApiError, TooManyRequests, render
from rentengine.http import JSONBytes
from rentengine.kit.forwarded import request_client_address
from rentengine.listings import service
from rentengine.listings.examples import ACCOUNT_PATH_EXAMPLE, ETAG_EXAMPLE, FEED_EXAMPLE
from rentengine.listings.schemas import ListingOut, ListingsQuery
from rentengine.runtime import runtime_of

router = APIRouter(tags=["Marketing"])

PATH = "/marketing/listings/{accountId}"
# Any website may read the feed: it holds only what the account publishes anyway. Page scripts may
# read the validator, to send it back in `If-None-Match`.
CORS_HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag"}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET",
    "Access-Control-Allow-Headers": "If-None-Match",
    # Browsers cap this (Chromium at 2 hours); one preflight per page load would double the requests.
    "Access-Control-Max-Age": "86400",
}
# Shared caches may keep the feed, but must ask every time whether it is still current: a unit that
# is leased must leave the owner's website at once, and asking is cheap (a 304 computed from one
# indexed aggregate, without building the feed).
CACHE_CONTROL = "public, no-cache"

DESCRIPTION = """Every `Available` unit of the account as a website listing, `id` ascending. No token;
any website may read it (`Access-Control-Allow-Origin: *`); rate-limited per client address.

Each listing holds only public listing data, taken from the unit (API.md §6):

| field | from the unit |
|---|---|
| address | `address.formatted_address` |
| beds, baths | `bedrooms`, `bathrooms` (`""` when not given) |
| rentAmount | `target_rental_rate` |
| photos | `marketing_photos[].original` of the photos whose `hidden` is false, in order |
| applyUrl, btnUrl | `custom_application_url` |
| btnText | `"Apply Now"` when `custom_application_url` is set, else null |
| waitlistLabel | `"Available YYYY-MM-DD"` while `earliest_move_in_date` is after today (UTC), else null |
| virtualTour, specials | null: the unit object has no such field |

The response carries a strong `ETag`; send it back in `If-None-Match` to get `304 Not Modified`
without a body while the feed is unchanged. `Cache-Control: public, no-cache`: caches may store it
and revalidate on every use."""

_HEADER_DOCS: dict[str, Any] = {
    "ETag": {
        "required": True,
        "description": "Strong validator of the feed",
        "schema": {"type": "string"},
        "example": ETAG_EXAMPLE,
    },
    "Cache-Control": {
        "required": True,
        "description": "Revalidate on every use",
        "schema": {"type": "string", "const": CACHE_CONTROL},
    },
    "Access-Control-Allow-Origin": {"required": True, "schema": {"type": "string", "const": "*"}},
}


async def limit_per_address(request: Request) -> None:
    """Counts the request against the API rate limit of the caller's address (not of a token)."""
    runtime = runtime_of(request)
    limiter = runtime.rate_limiter
    if limiter is None:
        return
    # Behind trusted reverse proxies the address is the visitor's, not the proxy's (a shared one).
    address = request_client_address(request.scope, runtime.settings.trusted_proxies)
    state = await limiter.hit(f"ip:{address}")
    remember_headers(request.scope, state.headers())
    if not state.allowed:
        raise TooManyRequests(retry_after=state.reset_seconds)


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 §13.1.2: `*` or any listed tag, compared weakly (a `W/` prefix is ignored)."""
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


@router.get(
    PATH,
    response_model=list[ListingOut],
    response_class=JSONBytes,
    description=DESCRIPTION,
    openapi_extra={"security": []},
    responses={
        200: {
            "description": "The account's listings",
            "headers": _HEADER_DOCS,
            "content": {"application/json": {"example": FEED_EXAMPLE}},
        },
        304: {"description": "Unchanged since the `If-None-Match` validator", "headers": _HEADER_DOCS},
    },
)
async def list_marketing_listings(
    request: Request,
    session: RequestSession,
    accountId: Annotated[uuid.UUID, Path(examples=[ACCOUNT_PATH_EXAMPLE])],
    query: Annotated[ListingsQuery, Query()],
    if_none_match: Annotated[
        str | None,
        Header(
            alias="If-None-Match",
            description="The `ETag` of a copy held; 304 while it is current",
            max_length=8192,
        ),
    ] = None,
) -> Response:
    """Lists the account's Available units for its website."""
    try:
        return await _feed(request, session, accountId, if_none_match)
    except ApiError as error:
        # Error answers are readable by the page's scripts too (a 429 tells it to back off).
        response = render(error)
        response.headers.update(CORS_HEADERS)
        return response


async def _feed(
    request: Request, session: RequestSession, account_id: uuid.UUID, if_none_match: str | None
) -> Response:
    await limit_per_address(request)
    base_url = runtime_of(request).settings.public_base_url
    # The validator is read before the body: a write in between can only make the body newer than
    # its tag, which the next request then replaces; never an old body under a new tag.
    etag = await service.feed_etag_of(session, account_id, base_url)
    headers = {**CORS_HEADERS, "ETag": etag, "Cache-Control": CACHE_CONTROL}
    if if_none_match is not None and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return JSONBytes(await service.feed_json(session, account_id, base_url), headers=headers)


@router.options(PATH, include_in_schema=False)
async def preflight_marketing_listings(accountId: str) -> Response:
    """The CORS preflight a browser sends before a cross-origin GET with `If-None-Match`."""
    return Response(status_code=204, headers=PREFLIGHT_HEADERS)
