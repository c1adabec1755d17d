"""Keys verified against the database moments ago, kept in process memory for a few seconds.

Every API request would otherwise read its key and its user's accounts from the database. A key
revoked (or a user deleted, or a membership changed) in this process is forgotten at once; in
another process, it takes effect within the cache's lifetime (`RENTENGINE_VERIFIED_KEY_CACHE_SECONDS`).
"""

import time
import uuid
from datetime import datetime, timedelta

from rentengine.auth.repository import LiveKey

# Bounds memory with many keys in use; the oldest entries make room.
MAX_ENTRIES = 10_000
# `last_used_at` is written at most this often per key, so reads do not turn into writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class VerifiedKeys:
    """Live keys by token digest, each for `ttl_seconds` after it was read (0: no cache)."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._keys: dict[str, tuple[LiveKey, float]] = {}
        self._touched: dict[uuid.UUID, datetime] = {}

    def get(self, digest: str) -> LiveKey | None:
        found = self._keys.get(digest)
        if found is None:
            return None
        key, read_at = found
        if time.monotonic() - read_at >= self.ttl:
            del self._keys[digest]
            return None
        return key

    def put(self, digest: str, key: LiveKey) -> None:
        if self.ttl <= 0:
            return
        if len(self._keys) >= MAX_ENTRIES:
            del self._keys[next(iter(self._keys))]
        self._keys[digest] = (key, time.monotonic())

    def forget(self, *, key_id: uuid.UUID | None = None, user_id: uuid.UUID | None = None) -> None:
        """Drops the entries of a key, or of every key of a user (revocation, deletion, membership)."""
        self._keys = {
            digest: entry
            for digest, entry in self._keys.items()
            if entry[0].id != key_id and entry[0].user_id != user_id
        }

    def touch_due(self, key: LiveKey, now: datetime) -> bool:
        """Whether this use should refresh the key's `last_used_at`; claims the refresh if so."""
        known = [when for when in (key.last_used_at, self._touched.get(key.id)) if when is not None]
        if known and now - max(known) < LAST_USED_RESOLUTION:
            return False
        if len(self._touched) >= MAX_ENTRIES:
            self._touched.clear()
        self._touched[key.id] = now
        return True

    def forget_touch(self, key_id: uuid.UUID) -> None:
        """A claimed refresh that failed: the next use claims it again."""
        self._touched.pop(key_id, None)
