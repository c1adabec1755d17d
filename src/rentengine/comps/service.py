"""Comps: the nearest Leased and Available units of this deployment, as listing-level records."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.changes.types import Record
from rentengine.comps import repository
from rentengine.comps.geo import bounding_box, haversine_miles
from rentengine.comps.repository import AVAILABLE, LEASED, Candidate, StatusChange
from rentengine.comps.schemas import MAX_COMPS, CompsQuery
from rentengine.kit.clock import utc_now
from rentengine.kit.jsonutil import dumps
from rentengine.units.service import photo_url

PROPERTY_TYPES = {"SINGLE FAMILY RESIDENCE": "Single Family", "TOWNHOUSE": "Townhouse"}
COMPLEX_TYPES = frozenset({"MULTI-FAMILY"})


@dataclass(frozen=True)
class Market:
    """When a unit was leased and how long it had been on the market, as far as is known."""

    date_rented: date | None
    days_on_market: int | None


def _days(start: datetime | None, end: datetime) -> int | None:
    return None if start is None else max(0, (end - start).days)


def leased_market(candidate: Candidate, changes: list[StatusChange]) -> Market:
    """A Leased unit's lease day and days on market, read from its status changes (oldest first).

    It was leased at its last change to Leased, or when created if it has no such change. It had
    been on the market since its last change to Available before that; or since its creation when
    its first status change was away from Available (it was created Available).
    """
    to_leased = [i for i, change in enumerate(changes) if change.new == LEASED]
    leased_at = changes[to_leased[-1]].at if to_leased else candidate.created_at
    before = changes[: to_leased[-1]] if to_leased else []
    listed = [change.at for change in before if change.new == AVAILABLE]
    if listed:
        return Market(leased_at.date(), _days(listed[-1], leased_at))
    created_available = bool(changes) and changes[0].old == AVAILABLE and bool(to_leased)
    return Market(leased_at.date(), _days(candidate.created_at if created_available else None, leased_at))


def _passes(market: Market, status: str, query: CompsQuery) -> bool:
    days = market.days_on_market
    if query.min_days_on_market is not None and (days is None or days < query.min_days_on_market):
        return False
    if query.max_days_on_market is not None and (days is None or days > query.max_days_on_market):
        return False
    if status == AVAILABLE:
        return True
    rented = market.date_rented
    if query.start_date is not None and (rented is None or rented < query.start_date):
        return False
    return query.end_date is None or (rented is not None and rented <= query.end_date)


def comp_of(candidate: Candidate, market: Market, public_base_url: str) -> Record:
    attributes = candidate.attributes or {}
    highlighted: list[str] = attributes.get("highlighted_amenities") or []
    features = highlighted + [a for a in attributes.get("amenities") or [] if a not in highlighted]
    photos = [p["path"] for p in attributes.get("marketing_photos") or [] if not p["hidden"]]
    street = f"{candidate.street_number} {candidate.street_name}"
    return {
        "address": f"{street}, {candidate.city}, {candidate.state} {candidate.zip_code}",
        "unit_number": candidate.unit,
        "beds": candidate.bedrooms,
        "baths": candidate.bathrooms,
        "sqft": candidate.sqft,
        "rent": candidate.target_rental_rate,
        "days_on_market": market.days_on_market,
        "date_rented": market.date_rented.isoformat() if market.date_rented is not None else None,
        "features": features,
        "status": "Rented" if candidate.status == LEASED else "Available",
        "latitude": candidate.latitude,
        "longitude": candidate.longitude,
        "property_type": PROPERTY_TYPES.get(candidate.property_type, "Apartment"),
        "image": photo_url(photos[0], public_base_url) if photos else None,
        "zipcode": candidate.zip_code,
        "furnished": bool(attributes.get("furnished", False)),
        "in_apartment_complex": candidate.property_type in COMPLEX_TYPES,
        "num_parking_spots": candidate.num_parking_spots,
        "description": attributes.get("marketing_description"),
    }


async def _markets(session: AsyncSession, found: list[Candidate]) -> dict[int, Market]:
    now = utc_now()
    leased = [c for c in found if c.status == LEASED]
    history = await repository.status_changes(session, [(c.account_id, c.id) for c in leased])
    markets = {c.id: leased_market(c, history.get(c.id, [])) for c in leased}
    markets |= {c.id: Market(None, _days(c.available_since, now)) for c in found if c.status != LEASED}
    return markets


async def comps_json(session: AsyncSession, query: CompsQuery, public_base_url: str) -> bytes:
    """At most 200 comps, nearest first (ties by the older unit first, so the order is stable)."""
    box = bounding_box(query.latitude, query.longitude, query.radius_miles) if query.radius_miles else None
    found = await repository.candidates(session, query, box)
    distances = {
        c.id: haversine_miles(query.latitude, query.longitude, c.latitude, c.longitude) for c in found
    }
    if query.radius_miles is not None:
        # The box holds the circle and its corners; only the circle counts.
        found = [c for c in found if distances[c.id] <= query.radius_miles]
    markets = await _markets(session, found)
    kept = [c for c in found if _passes(markets[c.id], c.status, query)]
    kept.sort(key=lambda c: (distances[c.id], c.id))
    return dumps([comp_of(c, markets[c.id], public_base_url) for c in kept[:MAX_COMPS]])
