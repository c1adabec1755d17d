"""The one id source."""

import secrets
import uuid


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
