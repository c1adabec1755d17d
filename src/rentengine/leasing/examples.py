"""OpenAPI examples for leasing events: a prospect assigned to a leasing agent, then a showing
booked. The first record of the list is also the `leasing_events` table's example record in the
webhook test send."""

from typing import Any

from rentengine.prospects.examples import PROSPECT

USER_ID = "0f4e9a52-1c3b-4f7e-9d2a-6b8c5e3f1a90"
AGENT_ID = "5c7d2e1f-3a4b-4c6d-8e9f-0a1b2c3d4e5f"

ASSIGNED: dict[str, Any] = {
    "id": 3310472,
    "prospect": PROSPECT["id"],
    "event_type": "Assign to User",
    "source": "Phone Call",
    "notes": "Called about the house on Avenue F; handing over to Sam.",
    "context": {"assignedToUserIds": [AGENT_ID], "applyActionInBulk": False},
    "planned_date_time": None,
    "created_at": "2024-10-05T18:53:03.406168Z",
    "next_follow_up": None,
    "created_by": USER_ID,
}
SHOWING_SCHEDULED: dict[str, Any] = {
    "id": 3310519,
    "prospect": PROSPECT["id"],
    "event_type": "Showing Scheduled",
    "source": None,
    "notes": None,
    "context": {"showing_id": 771204, "unit_id": PROSPECT["unit_of_interest"]},
    "planned_date_time": "2024-10-10T21:30:00.000000Z",
    "created_at": "2024-10-06T15:02:47.880163Z",
    "next_follow_up": "2024-10-11T15:00:00.000000Z",
    "created_by": USER_ID,
}

LIST_RESPONSE: dict[str, Any] = {
    "data": [ASSIGNED, SHOWING_SCHEDULED],
    "page": {"limit": 50, "page_number": 0, "has_more": False, "next_page_number": None},
}

ASSIGN_BODY: dict[str, Any] = {
    "events": [
        {
            "prospect_id": PROSPECT["id"],
            "event_type": "Assign to User",
            "source": "Phone Call",
            "notes": ASSIGNED["notes"],
            "context": {"assignedToUserIds": [AGENT_ID]},
        }
    ]
}
BULK_BODY: dict[str, Any] = {
    "events": [
        {
            "prospect_id": PROSPECT["id"],
            "event_type": "Assign to User",
            "context": {"assignedToUserIds": [AGENT_ID, USER_ID], "applyActionInBulk": True},
        }
    ]
}
REQUEST_EXAMPLES: dict[str, dict[str, Any]] = {
    "assign": {"summary": "Assign a prospect to a user", "value": ASSIGN_BODY},
    "bulk": {
        "summary": "Assign to two users every prospect of the account with this prospect's phone number",
        "value": BULK_BODY,
    },
}


def _refusal(
    keyword: str, path: str, message: str, params: dict[str, Any], schema_path: str
) -> dict[str, Any]:
    item = {
        "keyword": keyword,
        "instancePath": path,
        "dataPath": path,
        "schemaPath": schema_path,
        "params": params,
    }
    return {"error": "Invalid request parameters", "details": [{**item, "message": message}]}


REFUSALS: dict[str, dict[str, Any]] = {
    "more_than_one_event": {
        "summary": "Only one event per request",
        "value": _refusal(
            "maxItems",
            "/events",
            "must NOT have more than 1 items",
            {"limit": 1},
            "#/properties/events/maxItems",
        ),
    },
    "not_a_member": {
        "summary": "An assignee who is not a member of the prospect's account",
        "value": _refusal(
            "membership",
            "/events/0/context/assignedToUserIds/0",
            "must be a member of the prospect's account",
            {"userId": AGENT_ID, "account_id": "4b88ff32-8ba0-4bbf-8e60-c789909ac176"},
            "#/membership",
        ),
    },
}
