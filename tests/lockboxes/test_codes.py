"""The code derivation on its own (no database)."""

import hashlib
import hmac
from datetime import date

import pytest

from rentengine.lockboxes.codes import code_digits, derive_code, instructions, new_code_secret

SECRET = bytes(range(32))
DAY = date(2024, 10, 5)


def test_known_vector() -> None:
    # HMAC-SHA256(SECRET, "2024-10-05:ACCESS") starts 0718893c180480b5; that integer mod 10^6 = 542645.
    mac = hmac.new(SECRET, b"2024-10-05:ACCESS", hashlib.sha256).digest()
    assert mac[:8].hex() == "0718893c180480b5"
    assert derive_code(SECRET, DAY, "ACCESS", 6) == "542645"
    assert derive_code(SECRET, DAY, "SHACKLE", 6) == "016778"


def test_same_inputs_give_the_same_code() -> None:
    assert derive_code(SECRET, DAY, "ACCESS", 6) == derive_code(bytes(SECRET), date(2024, 10, 5), "ACCESS", 6)


def test_date_type_and_secret_all_change_the_code() -> None:
    base = derive_code(SECRET, DAY, "ACCESS", 6)
    assert derive_code(SECRET, date(2024, 10, 6), "ACCESS", 6) == "315535" != base
    assert derive_code(SECRET, DAY, "SHACKLE", 6) != base
    assert derive_code(bytes(32), DAY, "ACCESS", 6) != base


@pytest.mark.parametrize(
    ("day", "digits", "expected"),
    [
        (date(2024, 1, 6), 6, "095069"),  # 95069 padded to six digits
        (DAY, 8, "00542645"),  # the same number, two leading zeros at eight digits
        (DAY, 4, "2645"),
    ],
)
def test_codes_have_exactly_n_digits_with_leading_zeros(day: date, digits: int, expected: str) -> None:
    assert derive_code(SECRET, day, "ACCESS", digits) == expected


def test_digits_come_from_the_lockbox_type_with_a_default() -> None:
    assert code_digits({"Sentrilock": 8, "Codebox": 4}, "Codebox") == 4
    assert code_digits({}, "Sentrilock") == 6


def test_secrets_are_32_random_bytes() -> None:
    first, second = new_code_secret(), new_code_secret()
    assert len(first) == len(second) == 32
    assert first != second


def test_instructions_name_the_day_but_not_the_code() -> None:
    text = instructions("Sentrilock", "SHACKLE", DAY)
    assert "2024-10-05" in text
    assert "shackle" in text
    assert derive_code(SECRET, DAY, "SHACKLE", 6) not in text
