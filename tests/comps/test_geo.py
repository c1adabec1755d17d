"""The bounding box holds every point of the circle, also near the poles and across the antimeridian."""

import math

import pytest

from rentengine.comps.geo import Box, bounding_box, haversine_miles
from tests.comps.helpers import distance_miles


def inside(box: Box, lat: float, lon: float) -> bool:
    return box.min_lat <= lat <= box.max_lat and any(w <= lon <= e for w, e in box.lon_ranges)


def circle(lat: float, lon: float, radius: float, steps: int = 720) -> list[tuple[float, float]]:
    """Points at `radius` miles from the centre, every half degree of bearing (direct geodesic)."""
    angle = radius / 3958.7613
    p1, l1 = math.radians(lat), math.radians(lon)
    points = []
    for i in range(steps):
        bearing = 2 * math.pi * i / steps
        p2 = math.asin(math.sin(p1) * math.cos(angle) + math.cos(p1) * math.sin(angle) * math.cos(bearing))
        l2 = l1 + math.atan2(
            math.sin(bearing) * math.sin(angle) * math.cos(p1), math.cos(angle) - math.sin(p1) * math.sin(p2)
        )
        points.append((math.degrees(p2), (math.degrees(l2) + 180) % 360 - 180))
    return points


@pytest.mark.parametrize(
    ("lat", "lon", "radius"),
    [
        (30.3, -97.7, 25),
        (0, 0, 0.1),
        (64.8, -147.7, 25),
        (-33.9, 151.2, 10),
        (89.9, 10, 25),
        (-89.8, 0, 5),
        (52.0, 179.9, 20),
        (-17.7, -179.95, 25),
        (85.0, 179.0, 25),
    ],
)
def test_every_point_of_the_circle_is_in_the_box(lat: float, lon: float, radius: float) -> None:
    box = bounding_box(lat, lon, radius)
    for point_lat, point_lon in circle(lat, lon, radius * 0.999999):
        assert inside(box, point_lat, point_lon), (point_lat, point_lon, box)


def test_the_box_is_tight_away_from_poles() -> None:
    box = bounding_box(30.3, -97.7, 25)
    [(west, east)] = box.lon_ranges
    assert box.max_lat - box.min_lat == pytest.approx(2 * 25 / 69.09, rel=1e-3)
    # A degree of longitude at 30.3° is cos(30.3°) of one at the equator.
    assert east - west == pytest.approx(2 * 25 / (69.09 * math.cos(math.radians(30.3))), rel=1e-3)


def test_poles_take_every_longitude_and_the_antimeridian_splits() -> None:
    assert bounding_box(89.9, 10, 25).lon_ranges == ((-180.0, 180.0),)
    assert bounding_box(89.9, 10, 25).max_lat == 90.0
    split = bounding_box(52.0, 179.9, 20).lon_ranges
    assert len(split) == 2
    assert split[0][1] == 180.0
    assert split[1][0] == -180.0


@pytest.mark.parametrize(
    ("a", "b"), [((30.3, -97.7), (30.31, -97.72)), ((0, 179.9), (0, -179.9)), ((89, 0), (89, 180))]
)
def test_haversine_agrees_with_the_law_of_cosines(a: tuple[float, float], b: tuple[float, float]) -> None:
    assert haversine_miles(*a, *b) == pytest.approx(distance_miles(*a, *b), rel=1e-6)
