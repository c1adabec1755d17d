"""OpenAPI example for GET /audit_log: the create and a later update of one multifamily property."""

from typing import Any

_COMMON: dict[str, Any] = {
    "account_id": "4b88ff32-8ba0-4bbf-8e60-c789909ac176",
    "user_id": "0f4e9a52-1c3b-4f7e-9d2a-6b8c5e3f1a90",
    "api_key_id": "7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "table": "multifamily_properties",
    "record_id": "123e4567-e89b-12d3-a456-426614174000",
    "request_method": "POST",
    "request_path": "/api/public/v1/multifamily_properties",
}

LIST_RESPONSE: list[dict[str, Any]] = [
    {
        "id": 1041,
        **_COMMON,
        "action": "INSERT",
        "request_id": "5f0c8a3e9b2d4c71a6e8f0b1c2d3e4f5",
        "changes": None,
        "created_at": "2023-01-15T12:00:00.000000Z",
    },
    {
        "id": 1187,
        **_COMMON,
        "action": "UPDATE",
        "request_id": "lb-7c1e2f0a-20230201T091500Z",
        "changes": {
            "paid_feed_requirements": [["Zillow", "Apartments.com"], ["Apartments.com"]],
            "unit_count": [75, 20],
        },
        "created_at": "2023-02-01T09:15:00.412903Z",
    },
]
