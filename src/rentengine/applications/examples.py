"""OpenAPI example for GET /rental_application_groups: one submitted group and one in progress.

The first record is also the example record of the `rental_application_groups` webhook test send.
"""

from typing import Any

ACCOUNT_ID = "4b88ff32-8ba0-4bbf-8e60-c789909ac176"

LIST_RESPONSE: list[dict[str, Any]] = [
    {
        "id": 5120,
        "account_id": ACCOUNT_ID,
        "unit_id": 3318,
        "lead_prospect_id": 90211,
        "status": "Submitted",
        "submitted_at": "2024-10-07T16:22:41.118402Z",
        "created_at": "2024-10-05T18:53:03.406168Z",
        "updated_at": "2024-10-07T16:22:41.118402Z",
    },
    {
        "id": 5127,
        "account_id": ACCOUNT_ID,
        "unit_id": 3318,
        "lead_prospect_id": 90307,
        "status": "In Progress",
        "submitted_at": None,
        "created_at": "2024-10-08T09:12:55.730051Z",
        "updated_at": "2024-10-08T09:12:55.730051Z",
    },
]
