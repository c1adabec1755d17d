"""One typed settings object, read from `RENTENGINE_*` environment variables."""

import ipaddress
import json
import re
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-change-me"
# A secret key with fewer different characters than this is a placeholder, not a random key.
SECRET_KEY_MIN_DISTINCT = 10
RATE_LIMIT_OFF = frozenset({"off", "none", "0", "false"})
# A retention period of these keeps rows for good.
RETENTION_OFF = frozenset({"", "off", "none", "forever"})
# One `limits` rate: "30/5seconds", "30 per 5 seconds", "100/minute". `limits` itself silently accepts
# "0/second" (refuse everything), "1/0seconds" (read as 1 second) and ";"-separated lists (keeps the
# first), so the shape is checked here first.
_RATE = re.compile(
    r"^\s*[1-9]\d*\s*(/|per)\s*([1-9]\d*)?\s*(second|minute|hour|day|month|year)s?\s*$", re.IGNORECASE
)


class Environment(StrEnum):
    development = "development"
    staging = "staging"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RENTENGINE_", extra="ignore")

    env: Environment = Environment.development
    database_url: str = "sqlite:///./rentengine.db"
    # PostgreSQL reached straight, not through a pooler: for what needs a session of its own (the
    # delivery worker's LISTEN) when database_url leads to PgBouncer. Empty: database_url.
    database_direct_url: str = ""
    secret_key: str = Field(default=DEVELOPMENT_SECRET_KEY, repr=False)
    # Encrypts stored webhook secrets: base64 of 32 bytes, comma-separated for a rotation (the first
    # encrypts). Empty: a key derived from secret_key, so changing that needs a re-encryption.
    data_encryption_key: str = Field(default="", repr=False)
    # A `limits` rate string ("30/5seconds"), or "off".
    rate_limit: str = "30/5seconds"
    # Where rate-limit counters live: "" picks for the deployment (process memory for one process,
    # the database for `serve --workers N`), or "memory", "database", or a redis:// / valkey:// URL.
    rate_limit_storage: str = ""
    # How long a process trusts a key it verified against the database: a key revoked elsewhere (the
    # CLI, another process) is refused within this many seconds; in the revoking process at once.
    verified_key_cache_seconds: float = Field(5.0, ge=0, le=300)
    # Set to the public origin when behind a proxy; photo `original` URLs are built from it.
    public_base_url: str = "http://localhost:8000"
    # Reverse proxies (IPs or CIDRs) whose X-Forwarded-For is believed when they are the peer;
    # comma-separated or a JSON list.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    max_body_bytes: int = 1024 * 1024
    # After SIGTERM, how long `serve` lets in-flight requests finish before it cancels them.
    shutdown_grace_seconds: int = Field(30, ge=0, le=3600)
    database_pool_size: int = 10
    # Thresholds (unit_count strictly above) for the paid-feed requirements of a multifamily property.
    paid_feed_thresholds: dict[str, int] = {"Zillow": 24, "Apartments.com": 4}
    lockbox_code_digits: dict[str, int] = {"Sentrilock": 6, "Codebox": 6}
    # Successful GET /market-tool/comps calls allowed per user in a rolling 24 hours (API.md §17).
    comps_daily_quota: int = Field(40, ge=1, le=1_000_000)
    # Leads a unit is expected to draw per day, by bedroom count (the leasing-performance benchmark,
    # API.md §15.1); JSON, e.g. {"0": 1.0, "1": 1.5}. Counts round down and clamp to the table's keys.
    benchmark_leads_per_day: dict[int, float] = {0: 1.0, 1: 1.5, 2: 2.0, 3: 2.0, 4: 1.5, 5: 1.0}
    # Webhook delivery (API.md §19.3).
    webhook_timeout_seconds: float = Field(15.0, gt=0, le=300)
    webhook_max_retries: int = Field(10, ge=0, le=50)
    webhook_retention_days: int = Field(30, ge=1, le=3650)
    # Days audit entries and lockbox events are kept (`rentengine purge`, and the worker hourly).
    # Unset (the default) or "off": kept for good, as they are the customer's records.
    audit_retention_days: int | None = Field(None, ge=1, le=36500)
    lockbox_event_retention_days: int | None = Field(None, ge=1, le=36500)
    # Deliveries in flight at once per worker process.
    webhook_concurrency: int = Field(32, ge=1, le=1000)
    # Loopback and private targets are refused unless allowed (development and tests).
    webhook_allow_private_targets: bool = False
    # How long a worker's claim on a delivery lasts; a killed worker's claims are due again after it.
    webhook_lease_seconds: float = Field(60.0, ge=5, le=3600)
    # How much of a receiver's answer the attempt log keeps.
    webhook_response_log_bytes: int = Field(2048, ge=0, le=65536)
    # `serve`'s log lines on stderr: "text" for people (`make run`), "json" (one object per line, with
    # the request id) for a cluster's log collector. See `rentengine.observability.logs`.
    log_format: Literal["text", "json"] = "text"

    @field_validator("audit_retention_days", "lockbox_event_retention_days", mode="before")
    @classmethod
    def _keep_for_good(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in RETENTION_OFF:
            return None
        return value

    @field_validator("rate_limit")
    @classmethod
    def _parse_rate_limit(cls, value: str) -> str:
        if value.strip().lower() in RATE_LIMIT_OFF:
            return "off"
        if not _RATE.match(value):
            raise ValueError(
                f"not a rate limit: {value!r} (use e.g. 30/5seconds or 100/minute, or off to disable)"
            )
        from limits import parse

        parse(value)  # the shape matched; `limits` still has the last word on what it understands
        return value.strip()

    @field_validator("benchmark_leads_per_day")
    @classmethod
    def _check_benchmark(cls, value: dict[int, float]) -> dict[int, float]:
        if not value:
            raise ValueError("needs at least one bedroom count")
        if any(bedrooms < 0 or leads < 0 for bedrooms, leads in value.items()):
            raise ValueError("bedroom counts and leads per day must not be negative")
        return dict(sorted(value.items()))

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        value = value.strip()
        if value.startswith("postgres://"):  # the spelling many hosting providers hand out
            value = "postgresql://" + value.removeprefix("postgres://")
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("not a database URL (use sqlite:///path/to/file.db or postgresql://…)") from None
        backend = url.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {backend!r} (use sqlite:/// or postgresql://)")
        if backend == "sqlite" and url.database in (None, "", ":memory:"):
            # Every pooled connection would get its own empty in-memory database.
            raise ValueError("an in-memory SQLite database is not supported; give a file path")
        return value

    @field_validator("database_direct_url")
    @classmethod
    def _check_database_direct_url(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip():
            return ""
        value = cls._check_database_url(value)
        if make_url(value).get_backend_name() != "postgresql":
            raise ValueError("a direct URL is for PostgreSQL behind a pooler (use postgresql://…)")
        if make_url(value).query.get("pgbouncer") is not None:
            raise ValueError("the direct URL must lead to PostgreSQL itself, without ?pgbouncer=")
        database_url = info.data.get("database_url")
        if database_url is not None and make_url(database_url).get_backend_name() != "postgresql":
            raise ValueError("set only with a PostgreSQL RENTENGINE_DATABASE_URL")
        return value

    @field_validator("data_encryption_key")
    @classmethod
    def _check_data_encryption_key(cls, value: str) -> str:
        from rentengine.kit.encryption import SealError, parse_keys

        try:
            parse_keys(value)  # a malformed key is refused at start, not at the first secret it opens
        except SealError as error:
            raise ValueError(str(error).removeprefix("RENTENGINE_DATA_ENCRYPTION_KEY: ")) from None
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_trusted_proxies(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if value.strip().startswith("["):
            try:
                return json.loads(value)
            except ValueError:
                raise ValueError("not a JSON list of addresses; or give them comma-separated") from None
        return [part.strip() for part in value.split(",") if part.strip()]

    @field_validator("trusted_proxies")
    @classmethod
    def _check_trusted_proxies(cls, value: list[str]) -> list[str]:
        networks = []
        for entry in value:
            try:
                networks.append(str(ipaddress.ip_network(entry.strip(), strict=False)))
            except ValueError:
                raise ValueError(
                    f"not an IP address or network: {entry!r} (use e.g. 10.0.0.5 or 10.0.0.0/8)"
                ) from None
        return networks

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Self:
        if self.env is not Environment.development and self.secret_key == DEVELOPMENT_SECRET_KEY:
            raise ValueError(
                f"RENTENGINE_SECRET_KEY must be set when RENTENGINE_ENV is {self.env.value}; "
                "the development default is refused outside development"
            )
        if self.env is not Environment.development:
            weakness = _secret_key_weakness(self.secret_key)
            if weakness:
                raise ValueError(
                    f"RENTENGINE_SECRET_KEY {weakness}, which is refused when RENTENGINE_ENV is "
                    f"{self.env.value}; use a random key, e.g. the output of "
                    "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
                )
        if len(self.secret_key) < 32:
            raise ValueError("RENTENGINE_SECRET_KEY must be at least 32 characters long")
        return self

    @property
    def rate_limit_enabled(self) -> bool:
        return self.rate_limit != "off"


def _secret_key_weakness(key: str) -> str | None:
    """Why a secret key is not a random one (blank, a repeated or short pattern, too short), or None."""
    text = key.strip()
    if not text:
        return "is blank"
    if len(set(text)) == 1:
        return "is one character repeated"
    if len(text) < 32:
        return f"has only {len(text)} characters besides surrounding spaces (at least 32 are needed)"
    if len(set(text)) < SECRET_KEY_MIN_DISTINCT:
        return (
            f"has only {len(set(text))} different characters "
            f"(a random key has many more; at least {SECRET_KEY_MIN_DISTINCT} are needed)"
        )
    return None


def describe_error(exc: ValidationError) -> str:
    """One line per invalid setting, named by its environment variable (for the CLI)."""
    lines = []
    for err in exc.errors():
        message = str(err["msg"]).removeprefix("Value error, ")
        field = "_".join(str(part) for part in err["loc"])
        lines.append(f"RENTENGINE_{field.upper()}: {message}" if field else message)
    return "invalid configuration:\n  " + "\n  ".join(lines)
