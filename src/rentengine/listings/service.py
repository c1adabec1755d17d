"""The listings feed: each Available unit as a website listing, and the feed's validator (ETag)."""

import hashlib
import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from rentengine import API_VERSION
from rentengine.changes.types import Record
from rentengine.errors import NotFound
from rentengine.kit.clock import utc_now
from rentengine.kit.jsonutil import dumps, format_number
from rentengine.listings import repository
from rentengine.listings.repository import FeedSummary
from rentengine.units.models import Address, Unit
from rentengine.units.service import formatted_address, photo_url

# Bumped whenever `listing_of` changes what it produces, so that every validator changes with it.
LISTING_VERSION = 1
APPLY_BUTTON_TEXT = "Apply Now"


def _waitlist_label(move_in: date | None, today: date) -> str | None:
    # A unit listed ahead of its move-in date is shown as coming soon rather than ready.
    if move_in is None or move_in <= today:
        return None
    return f"Available {move_in.isoformat()}"


def listing_of(unit: Unit, address: Address, public_base_url: str, today: date) -> Record:
    """One unit as the feed lists it: only what its public listing shows."""
    attributes = unit.attributes or {}
    apply_url = attributes.get("custom_application_url")
    photos = [
        photo_url(photo["path"], public_base_url)
        for photo in attributes.get("marketing_photos") or []
        if not photo["hidden"]
    ]
    return {
        "address": formatted_address(address),
        "beds": format_number(unit.bedrooms) or "",
        "baths": format_number(unit.bathrooms) or "",
        "rentAmount": format_number(unit.target_rental_rate) or "",
        "photos": photos,
        "applyUrl": apply_url,
        "btnUrl": apply_url,
        "btnText": APPLY_BUTTON_TEXT if apply_url else None,
        "waitlistLabel": _waitlist_label(unit.earliest_move_in_date, today),
        "virtualTour": None,
        "specials": None,
    }


def feed_etag(account_id: uuid.UUID, summary: FeedSummary, public_base_url: str, today: date) -> str:
    """A strong validator of the feed, computed without building it.

    The body is a function of which units are listed and of what each holds, plus the things every
    listing is rendered with. Every write to a unit sets its `updated_at` to the time of the write,
    so a listed unit that changes (its address included: addresses change only through their unit)
    raises the maximum; a unit that joins the list was just written too; a unit that leaves it
    (status change, removal) lowers the count or, with another joining at once, the maximum rises.
    The id sum further tells apart two lists of equal size whose latest write happened to be the
    same. The rest is what rendering depends on: the photo URLs' base, the representation's and the
    API's versions, and today's date, against which the waitlist labels are drawn.
    """
    last = summary.last_update.isoformat() if summary.last_update is not None else "-"
    parts = (
        API_VERSION,
        str(LISTING_VERSION),
        str(account_id),
        str(summary.count),
        str(summary.id_sum),
        last,
        public_base_url,
        today.isoformat(),
    )
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


async def feed_etag_of(session: AsyncSession, account_id: uuid.UUID, public_base_url: str) -> str:
    """The feed's validator; 404 when the account does not exist."""
    if not await repository.account_exists(session, account_id):
        raise NotFound()
    summary = await repository.feed_summary(session, account_id)
    return feed_etag(account_id, summary, public_base_url, utc_now().date())


async def feed_json(session: AsyncSession, account_id: uuid.UUID, public_base_url: str) -> bytes:
    today = utc_now().date()
    rows = await repository.available_units(session, account_id)
    return dumps([listing_of(unit, address, public_base_url, today) for unit, address in rows])
