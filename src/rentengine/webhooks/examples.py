"""Realistic example values for the webhook management operations in the OpenAPI document."""

from typing import Any

ACCOUNT_ID = "4b88ff32-8ba0-4bbf-8e60-c789909ac176"
WEBHOOK_ID = "6a1f0e7c-3b2d-4e8f-9a6b-2c4d1e0f8a93"
DELIVERY_ID = "d4c3b2a1-9e8f-4a7b-8c6d-5e4f3a2b1c0d"
PROPERTY_ID = "123e4567-e89b-12d3-a456-426614174000"

SUBSCRIPTION: dict[str, Any] = {
    "id": WEBHOOK_ID,
    "account_id": ACCOUNT_ID,
    "url": "https://hooks.example.com/rentengine/events",
    "tables": ["units", "multifamily_properties"],
    "event_types": ["INSERT", "UPDATE"],
    "api_key": "receiver-shared-key-7d41",
    "signing_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "enabled": True,
    "created_at": "2024-10-05T18:53:03.406168Z",
    "updated_at": "2024-10-05T18:53:03.406168Z",
}

CREATE_BODY: dict[str, Any] = {
    "account_id": ACCOUNT_ID,
    "url": "https://hooks.example.com/rentengine/events",
    "tables": ["units", "multifamily_properties"],
    "event_types": ["INSERT", "UPDATE"],
    "api_key": "receiver-shared-key-7d41",
}
DISABLE_BODY: dict[str, Any] = {"id": WEBHOOK_ID, "enabled": False}
DISABLED = {**SUBSCRIPTION, "enabled": False, "updated_at": "2024-11-02T09:15:27.118402Z"}

REQUEST_EXAMPLES: dict[str, dict[str, Any]] = {
    "create": {"summary": "Units and properties, inserts and updates", "value": CREATE_BODY},
    "disable": {"summary": "Pause a subscription (its open deliveries are cancelled)", "value": DISABLE_BODY},
}

_RECORD: dict[str, Any] = {
    "id": PROPERTY_ID,
    "community_name": "Sunset Towers",
    "building_count": 3,
    "unit_count": 20,
    "description": "Luxury apartment community with amenities",
    "structure_type": "Mid Rise",
    "year_built": 2008,
    "photos": [{"path": "https://example.com/images/sunset-towers.jpg", "hidden": False}],
    "external_ids": {},
    "text_address": "123 Main St, San Francisco, CA 94111",
    "account_id": ACCOUNT_ID,
    "created_at": "2024-10-05T18:53:03.406168Z",
    "updated_at": "2024-10-06T08:12:44.019263Z",
    "deleted": False,
    "paid_feed_requirements": ["Apartments.com"],
}

DELIVERY: dict[str, Any] = {
    "id": DELIVERY_ID,
    "webhook_id": WEBHOOK_ID,
    "event_id": "msg_5f0c7a1e9b2d4c6e8a0b1c2d3e4f5a6b",
    "request_id": "8d2f4a6c0e1b4d3f9a7c5e3b1d0f2a4c",
    "table": "multifamily_properties",
    "type": "UPDATE",
    "status": "retrying",
    "payload": {
        "type": "UPDATE",
        "table": "multifamily_properties",
        "record": _RECORD,
        "old_record": {**_RECORD, "unit_count": 75, "updated_at": "2024-10-05T18:53:03.406168Z"},
    },
    "attempts": [
        {
            "attempt_number": 1,
            "attempted_at": "2024-10-06T08:12:44.208511Z",
            "status_code": 503,
            "duration_ms": 182,
            "error": None,
            "response": '{"error": "maintenance"}',
        }
    ],
    "next_attempt_at": "2024-10-06T08:12:57.530114Z",
    "created_at": "2024-10-06T08:12:44.019263Z",
}
