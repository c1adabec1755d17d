"""OpenAPI examples for the listings feed: the Austin house of the units examples, as listed."""

from typing import Any

from rentengine.units.examples import EXAMPLE_ACCOUNT_ID

LISTING_EXAMPLE: dict[str, Any] = {
    "address": "957 Avenue F, Austin, TX 78751",
    "beds": "3",
    "baths": "2.5",
    "rentAmount": "2795",
    "photos": [
        "https://rentals.example.com/units/957-avenue-f/front.jpg",
        "https://images.example.com/957-avenue-f/kitchen.jpg",
    ],
    "applyUrl": "https://rentals.example.com/apply/957-avenue-f",
    "btnUrl": "https://rentals.example.com/apply/957-avenue-f",
    "btnText": "Apply Now",
    "waitlistLabel": "Available 2025-03-01",
    "virtualTour": None,
    "specials": None,
}

FEED_EXAMPLE = [LISTING_EXAMPLE]
ETAG_EXAMPLE = '"5d41402abc4b2a76b9719d911017c592"'
ACCOUNT_PATH_EXAMPLE = EXAMPLE_ACCOUNT_ID
