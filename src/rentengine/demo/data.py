"""Realistic, reproducible demo records shaped like the API's POST bodies (no database here)."""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# (city, state, latitude, longitude, ZIP prefix) of markets with many single-family rentals.
CITIES = (
    ("Austin", "TX", 30.2672, -97.7431, "787"),
    ("Dallas", "TX", 32.7767, -96.7970, "752"),
    ("Houston", "TX", 29.7604, -95.3698, "770"),
    ("San Antonio", "TX", 29.4241, -98.4936, "782"),
    ("Atlanta", "GA", 33.7490, -84.3880, "303"),
    ("Charlotte", "NC", 35.2271, -80.8431, "282"),
    ("Raleigh", "NC", 35.7796, -78.6382, "276"),
    ("Phoenix", "AZ", 33.4484, -112.0740, "850"),
    ("Tampa", "FL", 27.9506, -82.4572, "336"),
    ("Orlando", "FL", 28.5383, -81.3792, "328"),
    ("Jacksonville", "FL", 30.3322, -81.6557, "322"),
    ("Nashville", "TN", 36.1627, -86.7816, "372"),
)
STREETS = (
    "Oak",
    "Maple",
    "Cedar",
    "Pine",
    "Elm",
    "Willow",
    "Magnolia",
    "Pecan",
    "Live Oak",
    "Sycamore",
    "Lakeview",
    "Hillcrest",
    "Sunset",
    "Meadow",
    "Ridge",
    "Park",
    "Spring",
    "Highland",
    "Riverside",
    "Bluebonnet",
    "Cypress",
    "Dogwood",
    "Forest",
    "Prairie",
    "Canyon",
    "Mesa",
    "Harbor",
    "Heritage",
)
SUFFIXES = ("St", "Ave", "Dr", "Ln", "Ct", "Blvd", "Way", "Trl", "Pl", "Cir")
PROPERTY_TYPES = (
    ("SINGLE FAMILY RESIDENCE", 55),
    ("TOWNHOUSE", 12),
    ("CONDO", 10),
    ("DUPLEX", 8),
    ("MULTI-FAMILY", 7),
    ("TRIPLEX", 3),
    ("ADU", 3),
    ("ROOM", 2),
)
STATUSES = (
    ("Available", 40),
    ("Leased", 30),
    ("Incomplete", 6),
    ("Under Review", 5),
    ("On Hold", 5),
    ("Archived", 5),
    ("Expired", 3),
    ("Withdrawn", 3),
    ("Withdrawal Requested", 1),
    ("Price Analysis", 2),
)
SHOWING_METHODS = ("Self Guided", "Accompanied", "Remote Guided", "Remote Guided with Gated Access")
LAUNDRY = ("In Unit", "Hookups but no machines", "Shared", "On-site", "None")
AMENITIES = (
    "Pool",
    "Fenced yard",
    "Fireplace",
    "Granite countertops",
    "Walk-in closet",
    "Ceiling fans",
    "Stainless steel appliances",
    "Patio",
    "Hardwood floors",
    "Smart thermostat",
)
COMMUNITIES = (
    "Sunset Towers",
    "The Residences at Lakeview",
    "Magnolia Commons",
    "Cedar Ridge Apartments",
    "Heritage Park",
    "The Summit",
    "Riverside Lofts",
    "Willow Creek",
    "Parkside Place",
)


@dataclass
class DemoRandom:
    """A seeded source, so the same sizes give the same data set."""

    rng: random.Random

    @classmethod
    def seeded(cls, seed: int = 2024) -> "DemoRandom":
        return cls(random.Random(seed))

    def weighted(self, choices: tuple[tuple[str, int], ...]) -> str:
        return self.rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]

    def address(self) -> dict[str, Any]:
        city, state, lat, lng, zip_prefix = self.rng.choice(CITIES)
        return {
            "street_number": str(self.rng.randint(100, 9999)),
            "street_name": f"{self.rng.choice(STREETS)} {self.rng.choice(SUFFIXES)}",
            "unit": self.rng.choice((None, None, None, "A", "B", "2", "101", "4B")),
            "city": city,
            "state": state,
            "zip_code": f"{zip_prefix}{self.rng.randint(1, 99):02d}",
            "country": "United States",
            "coordinates": [
                round(lng + self.rng.uniform(-0.15, 0.15), 6),
                round(lat + self.rng.uniform(-0.15, 0.15), 6),
            ],
        }

    def unit(self, account_id: str) -> dict[str, Any]:
        """A POST /units create body."""
        bedrooms = self.rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5))
        sqft = bedrooms * self.rng.randint(380, 620) + self.rng.randint(0, 300)
        return {
            "account_id": account_id,
            "address": self.address(),
            "property_type": self.weighted(PROPERTY_TYPES),
            "status": self.weighted(STATUSES),
            "bedrooms": bedrooms,
            "bathrooms": self.rng.choice((1, 1.5, 2, 2, 2.5, 3)) if bedrooms > 1 else 1,
            "sqft": sqft,
            "num_parking_spots": self.rng.choice((0, 1, 2, 2, 3)),
            "target_rental_rate": round(sqft * self.rng.uniform(0.95, 1.9) / 5) * 5,
            "furnished": self.rng.random() < 0.08,
            "laundry": self.rng.choice(LAUNDRY),
            "pets_allowed": self.rng.choice(("Yes", "Yes with pet fee", "No", "Cats only")),
            "showing_method": self.rng.choice(SHOWING_METHODS),
            "highlighted_amenities": self.rng.sample(AMENITIES, 3),
            "year_built": self.rng.randint(1955, 2023),
            "marketing_description": f"Bright {bedrooms}-bedroom home close to shops and parks.",
            "desired_lease_duration_months": [12],
        }

    def market_history(self, now: datetime, available: bool) -> tuple[datetime, datetime, datetime | None]:
        """When a unit was created, when its rent was last set and, if Available, since when it is:
        a few months of history, so that reports have days on market and a benchmark to show."""
        created = now - timedelta(days=self.rng.randint(150, 400), minutes=self.rng.randint(0, 1439))
        listed = now - timedelta(days=self.rng.randint(0, 75), minutes=self.rng.randint(0, 1439))
        priced = listed + (now - listed) * self.rng.choice((0.0, 0.0, 0.3, 0.6))
        return created, priced, listed if available else None

    def multifamily_property(self, account_id: str) -> dict[str, Any]:
        """A POST /multifamily_properties create body."""
        address = self.address()
        units = self.rng.choice((4, 12, 24, 48, 75, 120, 220))
        return {
            "account_id": account_id,
            "community_name": f"{self.rng.choice(COMMUNITIES)} {self.rng.randint(1, 99)}",
            "building_count": max(1, units // self.rng.randint(8, 40)),
            "unit_count": units,
            "description": "Professionally managed community with on-site amenities",
            "structure_type": self.rng.choice(("Mid Rise", "High Rise", "Garden Style")),
            "year_built": self.rng.randint(1970, 2024),
            "photos": [{"path": f"photos/community-{self.rng.randint(1, 500)}.jpg", "hidden": False}],
            "text_address": f"{address['street_number']} {address['street_name']}, {address['city']}, "
            f"{address['state']} {address['zip_code']}",
        }

    def serial_numbers(self, count: int) -> Iterator[str]:
        start = self.rng.randint(10_000_000, 20_000_000)
        for offset in range(count):
            yield f"SL{start + offset}"

    def lockbox_event_metadata(self, event_type: str) -> dict[str, Any]:
        if event_type == "Install":
            return {
                "installer_id": f"user_{self.rng.randint(10000, 99999)}",
                "notes": self.rng.choice(
                    ("Installed on front door", "Installed on side gate", "Installed on garage keypad")
                ),
            }
        return {"notes": self.rng.choice(("Removed after lease signed", "Moved to another property"))}
