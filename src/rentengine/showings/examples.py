"""OpenAPI examples for showings: Jane Doe books a self-guided tour of the house on Avenue F.

The unit and the prospect are those of the units and prospects examples; times are in the
account's zone, America/Chicago (CDT, UTC-5, in October).
"""

from typing import Any

from rentengine.showings.repository import SCHEDULED

UNIT_ID = 3318
SHOWING_ID = 771204


def _window(start: str, end: str) -> dict[str, Any]:
    return {"start": start, "end": end, "invitedUserIdsArray": [], "showingMethodsAvailable": ["Self Guided"]}


# A showing is scheduled at 16:00-16:30 local on October 10: the slots around it are preferred.
BEFORE = _window("2024-10-10T20:30:00.000000Z", "2024-10-10T21:00:00.000000Z")
AFTER = _window("2024-10-10T21:30:00.000000Z", "2024-10-10T22:00:00.000000Z")
AVAILABILITY: dict[str, Any] = {
    "availability": {
        "unitId": UNIT_ID,
        "showingMethod": "Self Guided",
        "timezoneName": "America/Chicago",
        "timezoneAbbreviation": "CDT",
        "unitStatus": "Available",
        "preferredShowingWindows": [BEFORE, AFTER],
        "availableShowingWindows": [
            _window("2024-10-10T20:00:00.000000Z", "2024-10-10T20:30:00.000000Z"),
            BEFORE,
            AFTER,
            _window("2024-10-10T22:00:00.000000Z", "2024-10-10T22:30:00.000000Z"),
            _window("2024-10-11T14:00:00.000000Z", "2024-10-11T14:30:00.000000Z"),
        ],
    }
}
NOT_AVAILABLE: dict[str, Any] = {
    "availability": {
        **AVAILABILITY["availability"],
        "unitStatus": "On Hold",
        "preferredShowingWindows": [],
        "availableShowingWindows": [],
    }
}
AVAILABILITY_EXAMPLES: dict[str, Any] = {
    "available": {"summary": "An available self-guided unit", "value": AVAILABILITY},
    "on_hold": {"summary": "A unit on hold offers no windows", "value": NOT_AVAILABLE},
}

PROSPECT_DATA: dict[str, Any] = {
    "firstName": "Jane",
    "lastName": "Doe",
    "email": "jane.doe@example.com",
    "phone": "5551234567",
    "creditScore": "700+",
    "income": "$9000-$10000/month",
    "questionAnswers": [
        {"question": "Do you have pets?", "answer": "One small dog"},
        {
            "question": "Will you use a housing voucher?",
            "answer": "No",
            "fixedQuestionType": "housing_voucher",
        },
    ],
    "prospectType": "Self",
}
BOOK_BODY: dict[str, Any] = {
    "unitId": UNIT_ID,
    "plannedForTime": AFTER["start"],
    "prospectData": PROSPECT_DATA,
    "desiredShowingMethod": "Self Guided",
}
AGENT_BODY: dict[str, Any] = {
    "unitId": UNIT_ID,
    "plannedForTime": AFTER["start"],
    "prospectData": {
        **PROSPECT_DATA,
        "firstName": "Marcus",
        "lastName": "Lee",
        "email": "marcus.lee@example.com",
        "phone": "5559876543",
        "questionAnswers": [],
        "prospectType": "Agent",
        "agentTk": "K7Q2ZD",
    },
}
RESCHEDULE_BODY: dict[str, Any] = {
    **BOOK_BODY,
    "plannedForTime": BEFORE["start"],
    "rescheduleEvent": SHOWING_ID,
}
REQUEST_EXAMPLES: dict[str, Any] = {
    "self": {"summary": "A prospect books a self-guided tour", "value": BOOK_BODY},
    "agent": {"summary": "A buyer's agent books with an agent token", "value": AGENT_BODY},
    "reschedule": {"summary": "Move a scheduled showing half an hour earlier", "value": RESCHEDULE_BODY},
}

SUCCESS: dict[str, Any] = {"statusText": "success"}

PRESCREEN_FAILED: dict[str, Any] = {
    "error": "Prescreen failed",
    "details": [
        {
            "keyword": "prescreen",
            "instancePath": "/prospectData/creditScore",
            "dataPath": "/prospectData/creditScore",
            "schemaPath": "#/prescreen/min_credit_score_band",
            "params": {"required": "650-699", "actual": "600-649"},
            "message": "credit score below the unit's minimum",
        },
        {
            "keyword": "prescreen",
            "instancePath": "/prospectData/income",
            "dataPath": "/prospectData/income",
            "schemaPath": "#/prescreen/min_income_to_rent_ratio",
            "params": {"required": "$8385+/month", "actual": "$5000-$6000/month"},
            "message": "income below 3 times the unit's rent",
        },
    ],
}
SLOT_TAKEN: dict[str, Any] = {
    "error": "Invalid request parameters",
    "details": [
        {
            "keyword": "availability",
            "instancePath": "/plannedForTime",
            "dataPath": "/plannedForTime",
            "schemaPath": "#/availability",
            "params": {"plannedForTime": "2024-10-10T21:00:00.000000Z"},
            "message": "must be the start of an available showing window",
        }
    ],
}
BAD_AGENT_TOKEN: dict[str, Any] = {
    "error": "Invalid request parameters",
    "details": [
        {
            "keyword": "agentToken",
            "instancePath": "/prospectData/agentTk",
            "dataPath": "/prospectData/agentTk",
            "schemaPath": "#/agentToken",
            "params": {},
            "message": "must be a valid agent token of the unit's account",
        }
    ],
}
REFUSED_EXAMPLES: dict[str, Any] = {
    "prescreen": {"summary": "The prospect fails two of the unit's rules", "value": PRESCREEN_FAILED},
    "slot": {
        "summary": "The time is not an available window (taken, past or outside hours)",
        "value": SLOT_TAKEN,
    },
    "agent": {
        "summary": "The agent token is unknown, revoked or another account's",
        "value": BAD_AGENT_TOKEN,
    },
}

# The showing record as the audit log and `showings` webhooks carry it (there is no GET).
SHOWING: dict[str, Any] = {
    "id": SHOWING_ID,
    "account_id": "4b88ff32-8ba0-4bbf-8e60-c789909ac176",
    "unit_id": UNIT_ID,
    "prospect_id": 90211,
    "planned_date_time": "2024-10-10T21:00:00.000000Z",
    "showing_method": "Self Guided",
    "status": SCHEDULED,
    "feedback": None,
    "cancellation_reason": None,
    "created_at": "2024-10-06T15:02:47.880163Z",
    "updated_at": "2024-10-06T15:02:47.880163Z",
}
