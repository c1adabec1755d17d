"""OpenAPI examples for the multifamily properties operations.

The GET response and the create body are the official examples (API.md §7.4), verbatim: clients
copied from the upstream docs must keep working, and mock mode answers with exactly these.
"""

from typing import Any

ACCOUNT_ID = "4b88ff32-8ba0-4bbf-8e60-c789909ac176"
PROPERTY_ID = "123e4567-e89b-12d3-a456-426614174000"

# GET /multifamily_properties?account_id=…&id=…&deleted=false, response 200 [doc].
LIST_RESPONSE: list[dict[str, Any]] = [
    {
        "id": PROPERTY_ID,
        "community_name": "Sunset Towers",
        "building_count": 3,
        "unit_count": 75,
        "description": "Luxury apartment community with amenities",
        "structure_type": "Mid Rise",
        "year_built": 2008,
        "photos": [{"path": "https://example.com/images/sunset-towers.jpg", "hidden": False}],
        "external_ids": {},
        "text_address": "123 Main St, San Francisco, CA 94111",
        "account_id": ACCOUNT_ID,
        "created_at": "2023-01-15T12:00:00Z",
        "updated_at": "2023-01-16T14:30:00Z",
    }
]

# POST /multifamily_properties, create body [doc].
CREATE_BODY: dict[str, Any] = {
    "community_name": "Sunset Towers",
    "building_count": 3,
    "unit_count": 75,
    "description": "Luxury apartment community with amenities",
    "structure_type": "Mid Rise",
    "year_built": 2008,
    "photos": [{"path": "https://example.com/images/sunset-towers.jpg", "hidden": False}],
    "text_address": "123 Main St, San Francisco, CA 94111",
    "account_id": ACCOUNT_ID,
}

# The upserted record as we return it: the documented record plus our two additions.
CREATED_RESPONSE: list[dict[str, Any]] = [
    {**LIST_RESPONSE[0], "deleted": False, "paid_feed_requirements": ["Zillow", "Apartments.com"]}
]

UPDATE_BODY: dict[str, Any] = {
    "id": PROPERTY_ID,
    "unit_count": 20,
    "external_ids": {"mls_id": "MLS12345", "yardi_id": "Y7890"},
}
UPDATED_RESPONSE: list[dict[str, Any]] = [
    {
        **CREATED_RESPONSE[0],
        "unit_count": 20,
        "external_ids": {"mls_id": "MLS12345", "yardi_id": "Y7890"},
        "updated_at": "2023-02-01T09:15:00Z",
        "paid_feed_requirements": ["Apartments.com"],
    }
]

SOFT_DELETE_BODY: dict[str, Any] = {"id": PROPERTY_ID, "deleted": True}

REQUEST_EXAMPLES: dict[str, dict[str, Any]] = {
    "create": {"summary": "Create a property (official example)", "value": CREATE_BODY},
    "update": {"summary": "Update the unit count and external ids", "value": UPDATE_BODY},
    "soft_delete": {"summary": "Soft-delete a property", "value": SOFT_DELETE_BODY},
}
