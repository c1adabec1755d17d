"""OpenAPI examples for comps: two homes near Hyde Park, Austin, TX."""

from typing import Any

COMP_RENTED: dict[str, Any] = {
    "address": "4406 Avenue G, Austin, TX 78751",
    "unit_number": None,
    "beds": 3,
    "baths": 2,
    "sqft": 1540,
    "rent": 2650,
    "days_on_market": 18,
    "date_rented": "2025-01-22",
    "features": ["Fenced backyard", "Central air", "Dishwasher"],
    "status": "Rented",
    "latitude": 30.3101,
    "longitude": -97.7241,
    "property_type": "Single Family",
    "image": "https://images.example.com/4406-avenue-g/front.jpg",
    "zipcode": "78751",
    "furnished": False,
    "in_apartment_complex": False,
    "num_parking_spots": 2,
    "description": "Hyde Park bungalow with a shaded yard, two blocks from Shipe Park.",
}
COMP_AVAILABLE: dict[str, Any] = {
    "address": "4300 Speedway, Austin, TX 78751",
    "unit_number": "204",
    "beds": 2,
    "baths": 1,
    "sqft": 910,
    "rent": 1795,
    "days_on_market": 6,
    "date_rented": None,
    "features": ["In-unit laundry", "Pool"],
    "status": "Available",
    "latitude": 30.3062,
    "longitude": -97.7297,
    "property_type": "Apartment",
    "image": None,
    "zipcode": "78751",
    "furnished": False,
    "in_apartment_complex": True,
    "num_parking_spots": 1,
    "description": None,
}
COMPS_EXAMPLE = [COMP_RENTED, COMP_AVAILABLE]
