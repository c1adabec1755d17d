"""API key tokens: HS256 JWTs whose `jti` is the key id; only their SHA-256 digest is stored."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from rentengine.kit.clock import utc_now

TOKEN_LIFETIME = timedelta(days=36525)  # "not for 100 years"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    key_id: uuid.UUID


def issue_token(
    secret_key: str, user_id: uuid.UUID, key_id: uuid.UUID, issued_at: datetime | None = None
) -> str:
    iat = issued_at or utc_now()
    claims = {
        "sub": str(user_id),
        "jti": str(key_id),
        "iat": int(iat.timestamp()),
        "exp": int((iat + TOKEN_LIFETIME).timestamp()),
    }
    import jwt  # here, not at the top: the mock and most CLI commands never read a token

    return jwt.encode(claims, secret_key, algorithm=ALGORITHM)


def read_token(secret_key: str, token: str) -> TokenClaims | None:
    """The token's claims when its signature and expiry hold, else None."""
    import jwt

    try:
        claims = jwt.decode(
            token, secret_key, algorithms=[ALGORITHM], options={"require": ["sub", "jti", "iat", "exp"]}
        )
        return TokenClaims(user_id=uuid.UUID(str(claims["sub"])), key_id=uuid.UUID(str(claims["jti"])))
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
