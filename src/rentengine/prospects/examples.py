"""OpenAPI example for GET /prospects: two people interested in the same house. The first record is
also the `prospects` table's example record in the webhook test send."""

from typing import Any

PROSPECT: dict[str, Any] = {
    "id": 90211,
    "name": "Jane Doe",
    "email": "jane.doe@example.com",
    "phone": "5551234567",
    "status": "Showing Scheduled",
    "source": "Zillow",
    "prospect_type": "Self",
    "unit_of_interest": 3318,
    "notes": "Has a small dog; wants to move in by November.",
    "created_at": "2024-10-05T18:41:12.204511Z",
    "updated_at": "2024-10-06T15:02:47.880163Z",
}
AGENT_PROSPECT: dict[str, Any] = {
    "id": 90245,
    "name": "Marcus Lee",
    "email": None,
    "phone": "5559876543",
    "status": "New",
    "source": "Phone Call",
    "prospect_type": "Agent",
    "unit_of_interest": 3318,
    "notes": None,
    "created_at": "2024-10-07T09:13:30.551920Z",
    "updated_at": "2024-10-07T09:13:30.551920Z",
}

LIST_RESPONSE: list[dict[str, Any]] = [PROSPECT, AGENT_PROSPECT]
