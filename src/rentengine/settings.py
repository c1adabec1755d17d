"""One typed settings object, read from `RENTENGINE_*` environment variables."""

from enum import StrEnum
from typing import Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-change-me"


class Environment(StrEnum):
    development = "development"
    staging = "staging"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RENTENGINE_", extra="ignore")

    env: Environment = Environment.development
    database_url: str = "sqlite:///./rentengine.db"
    secret_key: str = Field(default=DEVELOPMENT_SECRET_KEY, repr=False)
    # A `limits` rate string ("30/5seconds"), or "off".
    rate_limit: str = "30/5seconds"
    # Set to the public origin when behind a proxy; photo `original` URLs are built from it.
    public_base_url: str = "http://localhost:8000"
    max_body_bytes: int = 1024 * 1024
    database_pool_size: int = 10
    # Thresholds (unit_count strictly above) for the paid-feed requirements of a multifamily property.
    paid_feed_thresholds: dict[str, int] = {"Zillow": 24, "Apartments.com": 4}
    lockbox_code_digits: dict[str, int] = {"Sentrilock": 6, "Codebox": 6}

    @field_validator("rate_limit")
    @classmethod
    def _parse_rate_limit(cls, value: str) -> str:
        if value.strip().lower() in {"off", "none", "0", "false"}:
            return "off"
        from limits import parse

        parse(value)  # raises ValueError on a malformed rate string
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Self:
        if self.env is not Environment.development and self.secret_key == DEVELOPMENT_SECRET_KEY:
            raise ValueError(
                f"RENTENGINE_SECRET_KEY must be set when RENTENGINE_ENV is {self.env.value}; "
                "the development default is refused outside development"
            )
        if len(self.secret_key) < 32:
            raise ValueError("RENTENGINE_SECRET_KEY must be at least 32 characters long")
        return self

    @property
    def rate_limit_enabled(self) -> bool:
        return self.rate_limit != "off"
