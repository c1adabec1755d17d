"""Settings (DESIGN.md "Configuration"): unsafe or malformed values are refused when the process starts."""

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from rentengine.db.session import Database
from rentengine.runtime import Runtime
from rentengine.settings import DEVELOPMENT_SECRET_KEY, Environment, Settings, describe_error

SECRET = "a-real-deployment-secret-of-enough-length-0123"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read RENTENGINE_* variables; none from the surrounding shell may leak in."""
    for name in list(os.environ):
        if name.startswith("RENTENGINE_"):
            monkeypatch.delenv(name)


def _refusal(**values: object) -> str:
    with pytest.raises(ValidationError) as caught:
        Settings(**values)  # type: ignore[arg-type]
    return describe_error(caught.value)


@pytest.mark.parametrize("env", ["staging", "production"])
def test_the_development_secret_is_refused_outside_development(env: str) -> None:
    message = _refusal(env=env)
    assert f"RENTENGINE_SECRET_KEY must be set when RENTENGINE_ENV is {env}" in message
    assert f"RENTENGINE_SECRET_KEY must be set when RENTENGINE_ENV is {env}" in _refusal(
        env=env, secret_key=DEVELOPMENT_SECRET_KEY
    )
    assert Settings(env=env, secret_key=SECRET).env == Environment(env)


def test_the_development_secret_is_the_default_in_development() -> None:
    settings = Settings()
    assert settings.env is Environment.development
    assert settings.secret_key == DEVELOPMENT_SECRET_KEY
    # The secret never shows up in logs or tracebacks that print the settings.
    assert DEVELOPMENT_SECRET_KEY not in repr(settings)


def test_a_short_secret_is_refused() -> None:
    assert "RENTENGINE_SECRET_KEY must be at least 32 characters" in _refusal(secret_key="x" * 31)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RENTENGINE_ENV", "production")
    monkeypatch.setenv("RENTENGINE_SECRET_KEY", SECRET)
    monkeypatch.setenv("RENTENGINE_DATABASE_URL", f"sqlite:///{tmp_path}/prod.db")
    monkeypatch.setenv("RENTENGINE_RATE_LIMIT", "OFF")
    settings = Settings()
    assert (settings.env, settings.database_url) == (Environment.production, f"sqlite:///{tmp_path}/prod.db")
    assert not settings.rate_limit_enabled


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("sqlite:///./rentengine.db", "sqlite:///./rentengine.db"),
        ("sqlite:////var/lib/rentengine/data.db", "sqlite:////var/lib/rentengine/data.db"),
        (
            "postgresql://app:pw@db.internal:5432/rentengine",
            "postgresql://app:pw@db.internal:5432/rentengine",
        ),
        ("postgresql+asyncpg://app@db/rentengine", "postgresql+asyncpg://app@db/rentengine"),
        # The spelling many hosting providers hand out.
        ("postgres://app:pw@db/rentengine", "postgresql://app:pw@db/rentengine"),
    ],
)
def test_plain_database_urls_are_accepted(given: str, stored: str) -> None:
    assert Settings(database_url=given).database_url == stored


async def test_an_accepted_url_gets_the_async_driver(tmp_path: Path) -> None:
    db = Database(Settings(database_url=f"sqlite:///{tmp_path}/x.db").database_url)
    pg = Database(Settings(database_url="postgres://app:pw@db/rentengine").database_url)
    try:
        assert db.engine.url.drivername == "sqlite+aiosqlite"
        assert pg.engine.url.drivername == "postgresql+asyncpg"
    finally:
        await db.dispose()
        await pg.dispose()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://app@db/rentengine", "unsupported database 'mysql'"),
        ("not a url", "not a database URL"),
        ("sqlite://", "in-memory SQLite database is not supported"),
        ("sqlite:///:memory:", "in-memory SQLite database is not supported"),
    ],
)
def test_other_database_urls_are_refused(url: str, message: str) -> None:
    refusal = _refusal(database_url=url)
    assert refusal.startswith("invalid configuration:\n  RENTENGINE_DATABASE_URL: ")
    assert message in refusal


@pytest.mark.parametrize("rate", ["30/5seconds", "30 per 5 seconds", "100/minute", "1/second", "5000/hour"])
def test_well_formed_rate_limits_are_accepted(rate: str) -> None:
    settings = Settings(rate_limit=rate)
    assert settings.rate_limit == rate
    assert settings.rate_limit_enabled


@pytest.mark.parametrize(
    "rate",
    ["lots", "30", "0/second", "-1/second", "30/5parsecs", "1/0seconds", "10/minute;5/second", "30/5s", ""],
)
def test_malformed_rate_limits_are_refused(rate: str) -> None:
    assert "RENTENGINE_RATE_LIMIT: not a rate limit" in _refusal(rate_limit=rate)


@pytest.mark.parametrize("off", ["off", "OFF", " none ", "0", "false"])
async def test_off_disables_the_rate_limit(off: str, tmp_path: Path) -> None:
    settings = Settings(rate_limit=off, database_url=f"sqlite:///{tmp_path}/x.db")
    assert settings.rate_limit == "off"
    assert not settings.rate_limit_enabled
    runtime = Runtime.build(settings)
    assert runtime.rate_limiter is None
    await runtime.db.dispose()


def test_every_problem_is_reported_at_once() -> None:
    message = _refusal(env="production", rate_limit="lots", database_url="mysql://x/y")
    lines = message.splitlines()
    assert lines[0] == "invalid configuration:"
    assert any(line.startswith("  RENTENGINE_RATE_LIMIT:") for line in lines)
    assert any(line.startswith("  RENTENGINE_DATABASE_URL:") for line in lines)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (" " * 32, "is blank"),
        (" " * 64, "is blank"),
        ("\t\n " * 20, "is blank"),
        ("x" * 64, "is one character repeated"),
        ("0" * 32, "is one character repeated"),
        ("abcabcabcabcabcabcabcabcabcabcabcabc", "has only 3 different characters"),
        ("0123456701234567012345670123456701234567", "has only 8 different characters"),
        ("   short-but-padded-to-32-xyz   ", "has only 26 characters besides surrounding spaces"),
    ],
)
@pytest.mark.parametrize("env", ["staging", "production"])
def test_weak_secret_keys_are_refused_outside_development(env: str, key: str, reason: str) -> None:
    message = _refusal(env=env, secret_key=key)
    assert f"RENTENGINE_SECRET_KEY {reason}" in message
    assert f"refused when RENTENGINE_ENV is {env}" in message


def test_a_weak_secret_key_is_refused_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RENTENGINE_ENV", "production")
    monkeypatch.setenv("RENTENGINE_SECRET_KEY", " " * 32)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert "RENTENGINE_SECRET_KEY is blank" in describe_error(caught.value)


@pytest.mark.parametrize(
    "key",
    [
        SECRET,
        "kq3T9vX2pL8mN4rB7wY1zC6dF0hJ5sGa",  # 32 random characters
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",  # hex
    ],
)
@pytest.mark.parametrize("env", ["staging", "production"])
def test_random_secret_keys_are_accepted_outside_development(env: str, key: str) -> None:
    assert Settings(env=env, secret_key=key).secret_key == key


def test_development_keeps_accepting_a_placeholder_key() -> None:
    assert Settings(secret_key="x" * 32).secret_key == "x" * 32


def test_trusted_proxies_default_to_none() -> None:
    assert Settings().trusted_proxies == []


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("10.0.0.5", ["10.0.0.5/32"]),
        ("10.0.0.5, 10.1.0.0/16 ,fd00::/8", ["10.0.0.5/32", "10.1.0.0/16", "fd00::/8"]),
        ('["10.0.0.5", "192.168.0.0/24"]', ["10.0.0.5/32", "192.168.0.0/24"]),
        ("", []),
    ],
)
def test_trusted_proxies_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, given: str, stored: list[str]
) -> None:
    monkeypatch.setenv("RENTENGINE_TRUSTED_PROXIES", given)
    assert Settings().trusted_proxies == stored


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("10.0.0.5, proxy.internal", "not an IP address or network: 'proxy.internal'"),
        ("10.0.0.0/33", "not an IP address or network: '10.0.0.0/33'"),
        ('["10.0.0.5",', "not a JSON list"),
    ],
)
def test_malformed_trusted_proxies_are_refused(
    monkeypatch: pytest.MonkeyPatch, given: str, message: str
) -> None:
    monkeypatch.setenv("RENTENGINE_TRUSTED_PROXIES", given)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert f"RENTENGINE_TRUSTED_PROXIES: {message}" in describe_error(caught.value)
