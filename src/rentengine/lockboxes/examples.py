"""Realistic example values for the OpenAPI document (also the webhook test-send records)."""

from typing import Any

ACCOUNT_ID = "4b88ff32-8ba0-4bbf-8e60-c789909ac176"
OTHER_ACCOUNT_ID = "9f0c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
LOCKBOX_ID = "3f6c8a52-1d4e-4b7a-9c2f-5e8d7a6b4c31"
SECOND_LOCKBOX_ID = "b2a1c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
EVENT_ID = "c81d4e2f-7a3b-4c5d-9e6f-1a2b3c4d5e6f"

LOCKBOX: dict[str, Any] = {
    "id": LOCKBOX_ID,
    "lockbox_type": "Sentrilock",
    "serial_number": "1234567",
    "account_id": ACCOUNT_ID,
    "created_at": "2024-10-05T18:53:03.406168Z",
    "updated_at": "2024-10-05T18:53:03.406168Z",
}
SECOND_LOCKBOX: dict[str, Any] = {
    **LOCKBOX,
    "id": SECOND_LOCKBOX_ID,
    "serial_number": "1234568",
}

CREATE_BODY: dict[str, Any] = {
    "lockbox_type": "Sentrilock",
    "serial_numbers": ["1234567", "1234568"],
    "account_id": ACCOUNT_ID,
}
CREATED = [LOCKBOX, SECOND_LOCKBOX]

TRANSFER_BODY: dict[str, Any] = {"lockbox_ids": [LOCKBOX_ID], "new_account_id": OTHER_ACCOUNT_ID}
TRANSFERRED = [{**LOCKBOX, "account_id": OTHER_ACCOUNT_ID, "updated_at": "2024-11-02T09:15:27.118402Z"}]

SERIAL_CONFLICT: dict[str, Any] = {
    "error": "Lockbox serial number already exists in the account",
    "details": [
        {
            "keyword": "unique",
            "instancePath": "/serial_numbers/0",
            "dataPath": "/serial_numbers/0",
            "schemaPath": "#/unique",
            "params": {"serial_number": "1234567", "account_id": ACCOUNT_ID},
            "message": "must be a serial number that does not exist in the account yet",
        }
    ],
}

GENERATE_BY_SERIAL: dict[str, Any] = {
    "serial_number": "1234567",
    "date": "2024-10-05",
    "created_for": "Jordan Smith (showing at 3 pm)",
    "code_type": "ACCESS",
}
GENERATE_BY_UNIT: dict[str, Any] = {"unit_id": 3318, "date": "2024-10-05"}
GENERATED: dict[str, Any] = {
    "code": "1234",
    "lockboxType": "Sentrilock",
    "instructions": (
        "Press the bottom of the Sentrilock keypad to wake it, enter the code and press Enter; "
        "the key compartment opens. The code works only on 2024-10-05."
    ),
}

EVENT: dict[str, Any] = {
    "id": EVENT_ID,
    "lockbox_id": LOCKBOX_ID,
    "event_type": "Install",
    "unit_id": "3318",
    "account_id": ACCOUNT_ID,
    "created_at": "2024-10-05T19:02:41.551820Z",
    "metadata": {"installer_id": "user_12345", "notes": "Installed on front door"},
}
EVENTS_BODY: dict[str, Any] = {
    "events": [
        {
            "lockbox_id": LOCKBOX_ID,
            "event_type": "Install",
            "unit_id": 3318,
            "metadata": {"installer_id": "user_12345", "notes": "Installed on front door"},
        }
    ]
}
