"""A unit's stored wire form: its GET representation, serialised whenever the unit is written.

`GET /units` is the API's hot path. Building 100 units from ORM rows costs milliseconds of Python;
reading 100 stored JSON texts costs tens of microseconds. The stored form is written in the same
transaction as every change to the unit, so it is never older than the unit it describes.

It carries a key saying what it was built with: the representation's version (bumped whenever
`unit_to_wire` changes what it produces) and, only when a photo URL was resolved against it, the
public base URL. A stored form whose key does not match this process is not used: the unit is
rebuilt from its columns instead, so a new release or a changed setting never serves an old shape.
"""

from urllib.parse import urlsplit

from rentengine.changes.types import Record
from rentengine.kit.jsonutil import dumps
from rentengine.units.models import Unit

# 2: `is_occupied` is never null.
WIRE_VERSION = 2


def _depends_on_base_url(unit: Unit) -> bool:
    photos = (unit.attributes or {}).get("marketing_photos") or []
    return any(not urlsplit(photo["path"]).netloc for photo in photos)


def wire_key(depends_on_base_url: bool, public_base_url: str) -> str:
    return f"{WIRE_VERSION} {public_base_url}" if depends_on_base_url else str(WIRE_VERSION)


def store_wire(unit: Unit, record: Record, public_base_url: str) -> None:
    """Keeps `record` (the unit's `unit_to_wire`) as the unit's stored wire form."""
    unit.wire_json = dumps(record)
    unit.wire_key = wire_key(_depends_on_base_url(unit), public_base_url)


def is_current(key: str | None, public_base_url: str) -> bool:
    return key is not None and key in (wire_key(False, public_base_url), wire_key(True, public_base_url))
