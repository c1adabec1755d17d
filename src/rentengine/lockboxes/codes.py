"""Offline lockbox codes: derived from the box's secret, the day and the code type, never stored.

The lockbox holds the same secret, so it can compute the code for the current day by itself; the
server and the box agree without talking to each other.
"""

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import date

SECRET_BYTES = 32
DEFAULT_DIGITS = 6

_INSTRUCTIONS = {
    ("Sentrilock", "ACCESS"): (
        "Press the bottom of the Sentrilock keypad to wake it, enter the code and press Enter; "
        "the key compartment opens. The code works only on {date}."
    ),
    ("Sentrilock", "SHACKLE"): (
        "Press the bottom of the Sentrilock keypad to wake it, enter the code and press Enter, then "
        "pull the shackle to release the lockbox from the door. The code works only on {date}."
    ),
    ("Codebox", "ACCESS"): (
        "Enter the code on the Codebox keypad and turn the knob to open the key compartment. "
        "The code works only on {date}."
    ),
}


def new_code_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def derive_code(secret: bytes, day: date, code_type: str, digits: int) -> str:
    """HMAC-SHA256(secret, "{date}:{code_type}"), first 8 bytes big-endian, mod 10^digits, zero-padded."""
    mac = hmac.new(secret, f"{day.isoformat()}:{code_type}".encode(), hashlib.sha256).digest()
    value = int.from_bytes(mac[:8], "big") % 10**digits
    return str(value).zfill(digits)


def code_digits(configured: Mapping[str, int], lockbox_type: str) -> int:
    return configured.get(lockbox_type, DEFAULT_DIGITS)


def instructions(lockbox_type: str, code_type: str, day: date) -> str:
    """Human-readable steps; they never repeat the code itself."""
    return _INSTRUCTIONS[(lockbox_type, code_type)].format(date=day.isoformat())
