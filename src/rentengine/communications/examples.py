"""OpenAPI examples for calls and messages: a prospect's missed call, the text that answered it,
and the email that followed. The first record of each list is also its table's example record in
the webhook test send."""

from typing import Any

ACCOUNT_ID = "4b88ff32-8ba0-4bbf-8e60-c789909ac176"
USER_ID = "0f4e9a52-1c3b-4f7e-9d2a-6b8c5e3f1a90"
PROSPECT_ID = 90211
PHONE = "5551234567"

CALL: dict[str, Any] = {
    "id": 48811,
    "account_id": ACCOUNT_ID,
    "prospect_id": PROSPECT_ID,
    "direction": "inbound",
    "contact_number": PHONE,
    "status": "missed",
    "call_duration": None,
    "user_id": None,
    "created_at": "2024-10-05T18:41:12.204511Z",
}
CALLBACK: dict[str, Any] = {
    **CALL,
    "id": 48830,
    "direction": "outbound",
    "status": "completed",
    "call_duration": 214,
    "user_id": USER_ID,
    "created_at": "2024-10-05T19:02:47.880163Z",
}

MESSAGE: dict[str, Any] = {
    "id": 73502,
    "account_id": ACCOUNT_ID,
    "prospect_id": PROSPECT_ID,
    "direction": "outbound",
    "channel": "Text Message",
    "contact": PHONE,
    "body": "Hi Jane, sorry we missed your call! Would you like to tour 4512 Avenue F this week?",
    "user_id": USER_ID,
    "created_at": "2024-10-05T18:45:30.551920Z",
}
EMAIL: dict[str, Any] = {
    **MESSAGE,
    "id": 73519,
    "direction": "inbound",
    "channel": "Email",
    "contact": "jane.doe@example.com",
    "body": "Yes please, Thursday afternoon works for me.",
    "user_id": None,
    "created_at": "2024-10-05T20:13:08.017334Z",
}


def page_of(*records: dict[str, Any]) -> dict[str, Any]:
    page = {"limit": 50, "page_number": 0, "has_more": False, "next_page_number": None}
    return {"data": list(records), "page": page}


CALLS_PAGE = page_of(CALL, CALLBACK)
MESSAGES_PAGE = page_of(MESSAGE)


def _body_of(record: dict[str, Any], *left_out: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("id", *left_out)}


CALL_EXAMPLES: dict[str, dict[str, Any]] = {
    "missed": {
        "summary": "An inbound missed call, linked to the latest prospect with that number",
        "value": _body_of(CALL, "prospect_id", "call_duration", "user_id", "created_at"),
    },
    "completed": {
        "summary": "A completed call back by a user, for a given prospect",
        "value": _body_of(CALLBACK),
    },
}
MESSAGE_EXAMPLES: dict[str, dict[str, Any]] = {
    "text": {
        "summary": "A text message sent to a number, linked to the latest prospect with it",
        "value": _body_of(MESSAGE, "prospect_id", "user_id", "created_at"),
    },
    "email": {
        "summary": "An email received from a given prospect at a given time",
        "value": _body_of(EMAIL, "user_id"),
    },
}
