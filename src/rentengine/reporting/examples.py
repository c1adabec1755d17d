"""OpenAPI examples of the reports: one account's October 2024, and one unit's year."""

from typing import Any

ACCOUNT_ID = "4b88ff32-8ba0-4bbf-8e60-c789909ac176"
USER_ID = "0f4e9a52-1c3b-4f7e-9d2a-6b8c5e3f1a90"
UNIT_ID = 3318
ADDRESS = "957 Elm St, Austin, TX 78701"


def _page(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "data": rows,
        "page": {"limit": 100, "page_number": 0, "has_more": False, "next_page_number": None},
    }


LEASING_PERFORMANCE: dict[str, Any] = {
    "unit_id": UNIT_ID,
    "days_on_market": 18,
    "property_health": "Healthy",
    "benchmark_leads_since_last_price_change": 24,
    "new_prospects": 31,
    "showings_scheduled": 12,
    "showings_completed": 8,
    "applications_requested": 5,
    "applications_submitted": 2,
    "active_prospects": 14,
    "upcoming_showings": 3,
    "outbound_texts": 46,
    "total_calls": 19,
    "showing_feedback": [
        {
            "prospect_id": 90211,
            "prospect_name": "Maria Garcia",
            "created_at": "2024-10-12T19:30:00.000000Z",
            "feedback": "Loved the kitchen and the backyard; wants to apply this week.",
        }
    ],
}
MARKETING_SOURCES = _page(
    [
        {
            "source_key": "zillow",
            "source_display": "Zillow",
            "leads": 64,
            "showings_scheduled": 21,
            "showings_completed": 15,
            "upcoming_showings": 4,
            "applications_requested": 9,
            "applications_submitted": 6,
            "apps_approved": 3,
            "rejected_prescreens": 2,
        },
        {
            "source_key": "apartments_com",
            "source_display": "Apartments.com",
            "leads": 30,
            "showings_scheduled": 9,
            "showings_completed": 7,
            "upcoming_showings": 1,
            "applications_requested": 4,
            "applications_submitted": 2,
            "apps_approved": 1,
            "rejected_prescreens": 1,
        },
    ]
)
SHOWINGS = _page(
    [
        {
            "showing_id": 7712,
            "prospect_id": 90211,
            "property_address": ADDRESS,
            "prospect_name": "Maria Garcia",
            "status": "Completed",
            "feedback": "Loved the kitchen and the backyard; wants to apply this week.",
            "created_at": "2024-10-09T15:02:11.418230Z",
            "planned_date_time": "2024-10-12T19:30:00.000000Z",
            "showing_agent": None,
            "cancellation_reason": None,
        }
    ]
)
CALLS = _page(
    [
        {
            "name": "Maria Garcia",
            "created_at": "2024-10-05T18:41:12.204511Z",
            "call_direction": "inbound",
            "status": "missed",
            "contact_number": "5551234567",
            "call_duration": None,
            "prospect_name": "Maria Garcia",
            "user_id": "",
        },
        {
            "name": "Maria Garcia",
            "created_at": "2024-10-05T19:02:47.880163Z",
            "call_direction": "outbound",
            "status": "completed",
            "contact_number": "5551234567",
            "call_duration": 214,
            "prospect_name": "Maria Garcia",
            "user_id": USER_ID,
        },
    ]
)
UNITS = _page(
    [
        {
            "unit_id": UNIT_ID,
            "address": ADDRESS,
            "date_marked_available": "2024-10-14",
            "status": "Available",
            "target_rental_rate": 1850,
            "days_on_market": 18,
        }
    ]
)
APPLICATIONS = _page(
    [
        {
            "application_group_id": 5120,
            "lead_applicant": "Maria Garcia",
            "address": ADDRESS,
            "status": "Submitted",
            "created_at": "2024-10-13T16:20:05.771902Z",
            "submitted_at": "2024-10-14T09:12:44.015377Z",
        }
    ]
)
