"""Great-circle distance and the latitude/longitude box that holds every point within a radius."""

import math
from dataclasses import dataclass

# The mean Earth radius (IUGG), in statute miles.
EARTH_RADIUS_MILES = 3958.7613


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points (degrees), in miles."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Box:
    """A latitude range and one or two longitude ranges (two when the box crosses the antimeridian)."""

    min_lat: float
    max_lat: float
    lon_ranges: tuple[tuple[float, float], ...]


def bounding_box(lat: float, lon: float, radius_miles: float) -> Box:
    """The smallest latitude/longitude box containing every point within `radius_miles` of a point.

    The radius spans the same angle of latitude everywhere: `r / R` radians. A degree of longitude
    shrinks with the cosine of the latitude, so the longitude half-width grows towards the poles;
    the circle's widest longitude is `asin(sin(r/R) / cos(lat))` (it is reached north of the centre
    in the north, not on the centre's parallel, so `r / (R cos lat)` would be slightly too narrow).
    When the latitude range reaches a pole, the circle contains it and every longitude is inside.
    A longitude range passing ±180° is split in two, one on each side of the antimeridian.
    """
    angle = radius_miles / EARTH_RADIUS_MILES
    dlat = math.degrees(angle)
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90 or max_lat >= 90:
        return Box(max(min_lat, -90.0), min(max_lat, 90.0), ((-180.0, 180.0),))
    ratio = math.sin(angle) / math.cos(math.radians(lat))
    if ratio >= 1:
        return Box(min_lat, max_lat, ((-180.0, 180.0),))
    dlon = math.degrees(math.asin(ratio))
    west, east = lon - dlon, lon + dlon
    if west < -180:
        return Box(min_lat, max_lat, ((west + 360, 180.0), (-180.0, east)))
    if east > 180:
        return Box(min_lat, max_lat, ((west, 180.0), (-180.0, east - 360)))
    return Box(min_lat, max_lat, ((west, east),))
