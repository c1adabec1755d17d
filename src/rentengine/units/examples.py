"""OpenAPI examples for units: a three-bedroom house in Austin, TX."""

from typing import Any

EXAMPLE_ACCOUNT_ID = "4b88ff32-8ba0-4bbf-8e60-c789909ac176"

CREATE_BODY: dict[str, Any] = {
    "account_id": EXAMPLE_ACCOUNT_ID,
    "status": "Available",
    "address": {
        "street_number": "957",
        "street_name": "Avenue F",
        "city": "Austin",
        "state": "TX",
        "zip_code": "78751",
        "country": "United States",
        "coordinates": [-97.7236, 30.3132],
    },
    "property_type": "SINGLE FAMILY RESIDENCE",
    "bedrooms": 3,
    "bathrooms": 2.5,
    "sqft": 1650,
    "num_parking_spots": 2,
    "target_rental_rate": 2795,
    "furnished": False,
    "renovated": "Yes - 2021 kitchen and baths",
    "laundry": "In Unit",
    "is_occupied": False,
    "allow_cooperating_brokers": True,
    "hoa_app_required": False,
    "earliest_move_in_date": "2025-03-01",
    "earliest_showing_date": "2025-02-15",
    "desired_lease_duration_months": [12, 18],
    "pets_allowed": "Yes with pet fee",
    "pet_restrictions": "Two pets maximum, 50 lb limit",
    "key_access": "Lockbox on the back gate",
    "hoa_application_url": None,
    "hoa_app_fee": None,
    "highlighted_amenities": ["Fenced backyard", "Updated kitchen"],
    "amenities": ["Central air", "Dishwasher", "Hardwood floors", "Ceiling fans"],
    "utilities_included": ["Trash"],
    "parking_type": ["Driveway", "Private Garage"],
    "monthly_fees": [{"name": "Pest control", "type": "fixed", "amount": 15}],
    "move_in_fees": [{"name": "Security deposit", "type": "fixed", "amount": 2795}],
    "pet_fees": [{"name": "Pet rent", "type": "fixed", "amount": 35}],
    "marketing_photos": [
        {"path": "units/957-avenue-f/front.jpg", "hidden": False},
        {"path": "https://images.example.com/957-avenue-f/kitchen.jpg", "hidden": False},
    ],
    "marketing_description": "Bright Hyde Park bungalow with a remodeled kitchen, two living areas "
    "and a shaded, fenced yard. Walk to Avenue B Grocery and Shipe Park.",
    "custom_application_url": None,
    "min_resident_qualifications": "Income of 3x rent, no prior evictions",
    "storm_protection": None,
    "internal_notes": "Owner prefers 18-month leases",
    "showing_method": "Self Guided",
    "structured_access_instructions": {
        "lockbox_location": "Back gate, left post",
        "lockbox_code": "4821",
        "notes": "Please lock the back door when leaving",
    },
    "accepts_vouchers": True,
    "has_elevator": False,
    "prescreen_rules": {"min_credit_score_band": "650-699", "min_income_to_rent_ratio": 3},
    "prescreen_template_id": None,
    "floor_number": None,
    "year_built": 1938,
    "commission_amount": 500,
    "extracted_from": "https://pms.example.com/listings/88231",
}

UPDATE_BODY: dict[str, Any] = {"id": 3318, "status": "On Hold", "target_rental_rate": 2695}

UNIT_EXAMPLE: dict[str, Any] = {
    "id": 3318,
    "account_id": EXAMPLE_ACCOUNT_ID,
    "status": "Available",
    "address": {
        "id": 877,
        "formatted_address": "957 Avenue F, Austin, TX 78751",
        "street_number": "957",
        "street_name": "Avenue F",
        "unit": None,
        "city": "Austin",
        "state": "TX",
        "zip_code": "78751",
        "country": "United States",
        "coordinates": [-97.7236, 30.3132],
    },
    "property_type": "SINGLE FAMILY RESIDENCE",
    "bedrooms": "3",
    "bathrooms": "2.5",
    "sqft": "1650",
    "num_parking_spots": "2",
    "target_rental_rate": "2795",
    **{
        key: CREATE_BODY[key]
        for key in (
            "furnished",
            "renovated",
            "laundry",
            "is_occupied",
            "allow_cooperating_brokers",
            "hoa_app_required",
            "earliest_move_in_date",
            "earliest_showing_date",
            "desired_lease_duration_months",
            "pets_allowed",
            "pet_restrictions",
            "key_access",
            "hoa_application_url",
            "hoa_app_fee",
            "highlighted_amenities",
            "amenities",
            "utilities_included",
            "parking_type",
            "monthly_fees",
            "move_in_fees",
            "pet_fees",
        )
    },
    "marketing_photos": [
        {
            "path": "units/957-avenue-f/front.jpg",
            "hidden": False,
            "original": "https://rentals.example.com/units/957-avenue-f/front.jpg",
        },
        {
            "path": "https://images.example.com/957-avenue-f/kitchen.jpg",
            "hidden": False,
            "original": "https://images.example.com/957-avenue-f/kitchen.jpg",
        },
    ],
    **{
        key: CREATE_BODY[key]
        for key in (
            "marketing_description",
            "custom_application_url",
            "min_resident_qualifications",
            "storm_protection",
            "internal_notes",
            "showing_method",
            "structured_access_instructions",
            "accepts_vouchers",
            "has_elevator",
            "prescreen_rules",
            "prescreen_template_id",
            "floor_number",
            "year_built",
            "commission_amount",
            "extracted_from",
        )
    },
    "created_at": "2025-02-03T16:20:11.482913Z",
    "updated_at": "2025-02-03T16:20:11.482913Z",
}

UPDATED_EXAMPLE: dict[str, Any] = {
    **UNIT_EXAMPLE,
    "status": "On Hold",
    "target_rental_rate": "2695",
    "updated_at": "2025-02-10T09:02:45.120377Z",
}

CREATE_EXAMPLES: dict[str, Any] = {
    "create": {"summary": "Create a three-bedroom house in Austin, TX", "value": CREATE_BODY},
    "update": {"summary": "Put the unit on hold and lower the rent", "value": UPDATE_BODY},
}
