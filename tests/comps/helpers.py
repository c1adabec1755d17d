"""Units placed at known distances from a point of a test's own, and the comps of that point.

Comps cover every account of the deployment, and the test database is shared by the whole run: each
test works around a random point and under zip codes of its own, where no other test's units are.
"""

import math
import random
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tests.factories import Tenant, unit_body

EARTH_RADIUS_MILES = 3958.7613


@dataclass(frozen=True)
class Area:
    latitude: float
    longitude: float
    zip_code: str

    def at(self, north_miles: float, east_miles: float = 0.0) -> tuple[float, float]:
        """(latitude, longitude) that many miles north and east of the centre (east along the parallel)."""
        latitude = self.latitude + math.degrees(north_miles / EARTH_RADIUS_MILES)
        east = math.degrees(east_miles / (EARTH_RADIUS_MILES * math.cos(math.radians(self.latitude))))
        return latitude, (self.longitude + east + 180) % 360 - 180


def new_area(latitude: float | None = None, longitude: float | None = None) -> Area:
    return Area(
        latitude if latitude is not None else random.uniform(-55, 55),
        longitude if longitude is not None else random.uniform(-175, 175),
        f"Z{uuid.uuid4().hex[:12]}",
    )


def distance_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The spherical law of cosines: another formula than the server's haversine, for checking it."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    cosine = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return EARTH_RADIUS_MILES * math.acos(max(-1.0, min(1.0, cosine)))


async def place_unit(
    client: httpx.AsyncClient,
    tenant: Tenant,
    where: tuple[float, float] | None,
    zip_code: str,
    **overrides: Any,
) -> dict[str, Any]:
    """A unit created through POST /units at `where` (latitude, longitude; None: no coordinates)."""
    address = {
        "street_number": str(random.randint(1, 9999)),
        "street_name": "Comp St",
        "unit": None,
        "city": "Testville",
        "state": "TX",
        "zip_code": zip_code,
        "coordinates": [where[1], where[0]] if where is not None else None,
    }
    body = unit_body(tenant.account_id, address=address, **{"status": "Available", **overrides})
    response = await client.post("/units", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    unit: dict[str, Any] = response.json()
    return unit


async def get_comps(client: httpx.AsyncClient, tenant: Tenant, params: Any) -> httpx.Response:
    return await client.get("/market-tool/comps", params=params, headers=tenant.headers)


def near(area: Area, radius: float = 10, **more: Any) -> dict[str, Any]:
    return {"latitude": area.latitude, "longitude": area.longitude, "radius_miles": radius, **more}
