"""Encryption at rest for secrets the server must read back, which a digest cannot replace: webhook
signing secrets and the API keys receivers ask to be sent (both are used on every delivery).

A sealed value is text: `enc1:<key id>:<base64url of nonce + AES-256-GCM ciphertext and tag>`.
- AES-256-GCM (the `cryptography` package) with a random 96-bit nonce per value.
- The associated data names what the value is (e.g. `webhook_subscriptions.signing_secret:<id>`),
  so a sealed value copied into another row or column does not open.
- The key id (8 hex digits, a digest of the key that reveals nothing of it) says which key sealed
  the value, so several keys can be in use during a rotation.

The keys (`Keyring.from_config`):
- `RENTENGINE_DATA_ENCRYPTION_KEY`: one or more comma-separated keys, each the base64 (standard or
  URL-safe) of 32 random bytes, e.g. from `openssl rand -base64 32`. The first one seals; each
  one opens.
- The key derived from `RENTENGINE_SECRET_KEY` (HKDF-SHA256) always opens, and seals when no
  dedicated key is set. Then changing SECRET_KEY makes every sealed value unreadable until it is
  sealed again under the new key, which is why production deployments set the dedicated key.

Rotation: put the new key first and keep the old ones after it. Values sealed with any listed key
still open; each is sealed with the first key when it is next written (or by a reseal pass, see
`Keyring.needs_reseal`). An old key can go once nothing sealed with it is left.

A value that does not open (a key missing from the ring, a wrong key, a damaged value) raises
`SealError`: never is something else used in its place.
"""

import base64
import binascii
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

# `cryptography` is imported where a key is made or used: the mock and most commands never do.
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "enc1"
KEY_BYTES = 32
NONCE_BYTES = 12
_HKDF_INFO = b"rentengine data encryption key v1"
_KEY_ID_LABEL = b"rentengine data encryption key id\x00"


class SealError(Exception):
    """A sealed value that the configured keys cannot open (or a key that cannot be used)."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(_KEY_ID_LABEL + key).hexdigest()[:8]


def derived_key(secret_key: str) -> bytes:
    """The data key derived from the server's secret key, used when no dedicated key is set."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=_HKDF_INFO)
    return hkdf.derive(secret_key.encode())


def parse_keys(text: str) -> list[bytes]:
    """The comma-separated keys of RENTENGINE_DATA_ENCRYPTION_KEY, in order; [] when empty."""
    keys: list[bytes] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        digits = part.replace("-", "+").replace("_", "/").rstrip("=")
        try:
            raw = base64.b64decode(digits + "=" * (-len(digits) % 4), validate=True)
        except binascii.Error:
            raw = b""
        if len(raw) != KEY_BYTES:
            raise SealError(
                "RENTENGINE_DATA_ENCRYPTION_KEY: each key must be the base64 of 32 random bytes "
                "(e.g. from `openssl rand -base64 32`), comma-separated when there are several"
            )
        keys.append(raw)
    return keys


def new_key() -> str:
    """A fresh key, as RENTENGINE_DATA_ENCRYPTION_KEY takes it."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


@dataclass(frozen=True)
class _Key:
    id: str
    aead: "AESGCM"


class Keyring:
    """Seals with its first key; opens with any of its keys."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if not keys:
            raise SealError("a keyring needs at least one key")
        self._keys: dict[str, list[_Key]] = {}
        for key in keys:
            if len(key) != KEY_BYTES:
                raise SealError(f"a data encryption key has {KEY_BYTES} bytes")
            entry = _Key(key_id(key), AESGCM(key))
            self._keys.setdefault(entry.id, []).append(entry)
        self._sealing = _Key(key_id(keys[0]), AESGCM(keys[0]))

    @classmethod
    def from_config(cls, data_encryption_key: str, secret_key: str) -> "Keyring":
        """The dedicated keys (the first seals), then the key derived from the secret key."""
        return _keyring(data_encryption_key, secret_key)

    @property
    def sealing_key_id(self) -> str:
        return self._sealing.id

    def seal(self, plaintext: str, context: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._sealing.aead.encrypt(nonce, plaintext.encode(), context.encode())
        body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()
        return f"{PREFIX}:{self._sealing.id}:{body}"

    def open(self, value: str, context: str) -> str:
        """The plaintext of a sealed value; SealError when it does not open with these keys."""
        prefix, kid, body = _parts(value, context)
        if prefix != PREFIX:
            raise SealError(f"{context}: the stored value is not encrypted")
        candidates = self._keys.get(kid)
        if not candidates:
            raise SealError(
                f"{context}: encrypted with key {kid}, which is not configured "
                "(RENTENGINE_DATA_ENCRYPTION_KEY, or the key derived from RENTENGINE_SECRET_KEY)"
            )
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise SealError(f"{context}: the stored value is damaged") from None
        nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        from cryptography.exceptions import InvalidTag

        for key in candidates:
            try:
                return key.aead.decrypt(nonce, sealed, context.encode()).decode()
            except (InvalidTag, ValueError):
                continue
        raise SealError(f"{context}: does not decrypt with key {kid}: the value or the key is wrong")

    def needs_reseal(self, value: str) -> bool:
        """Whether a sealed value was sealed with another key than the one sealing now."""
        return not value.startswith(f"{PREFIX}:{self._sealing.id}:")


def _parts(value: str, context: str) -> tuple[str, str, str]:
    parts = value.split(":", 2)
    if len(parts) != 3:
        raise SealError(f"{context}: the stored value is not encrypted")
    return parts[0], parts[1], parts[2]


@lru_cache(maxsize=16)
def _keyring(data_encryption_key: str, secret_key: str) -> Keyring:
    return Keyring([*parse_keys(data_encryption_key), derived_key(secret_key)])
