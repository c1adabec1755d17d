"""Signing in with an unknown email costs what a wrong password costs: a password check."""

import uuid

import pytest

from rentengine.kit.crypto import verify_password
from tests.portal.login_client import client_at, login_app, make_user, post_login


def _parameters(password_hash: str) -> str:
    """`$argon2id$v=19$m=65536,t=3,p=4` of an argon2 hash: algorithm, version and costs."""
    return password_hash.rsplit("$", 2)[0]


async def test_an_unknown_email_or_a_user_without_password_is_checked_like_a_wrong_password(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return verify_password(password_hash, password)

    monkeypatch.setattr("rentengine.portal.sessions.verify_password", counting)
    async with login_app(database_url) as (app, runtime):
        known = await make_user(runtime)
        without_password = await make_user(runtime, password=None)
        unknown = f"nobody-{uuid.uuid4().hex[:12]}@example.com"
        for n, email in enumerate((known, unknown, without_password), start=1):
            async with client_at(app, f"192.0.2.{n}") as client:
                response = await post_login(client, email, "not the password")
            assert response.status_code == 401
            assert "Wrong email or password." in response.text
            assert len(checked) == n, f"{email}: the password was not checked"
    # The stand-in hash costs what a real one costs: same algorithm, version and parameters.
    real, for_unknown, for_no_password = (_parameters(h) for h in checked)
    assert real.startswith("$argon2")
    assert for_unknown == for_no_password == real
