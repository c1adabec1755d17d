"""The mock's OpenAPI document, kept between starts: building it is most of a start's own work.

FastAPI builds the document from every route's models, a quarter of a second and growing with the
API. The document depends only on this package's source and on the libraries that render it, so
it is stored under a digest of both: any change to the code or to those libraries' versions makes
a new entry, and a stale document is never read. The cache lives in the user's cache directory
(`$XDG_CACHE_HOME/rentengine`, else `~/.cache/rentengine`); where that cannot be written, every
start builds the document, as before.
"""

import hashlib
import json
import logging
import os
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import rentengine

logger = logging.getLogger(__name__)

# The libraries whose versions can change the document built from the same source.
_RENDERERS = ("fastapi", "pydantic", "pydantic-core", "starlette")
_KEPT_ENTRIES = 8  # older documents, of other versions of the code, are removed beyond these


def cache_directory() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rentengine"


def source_digest(package_root: Path | None = None) -> str:
    """A digest of the package's Python source and the renderers' versions."""
    root = package_root or Path(rentengine.__file__).parent
    digest = hashlib.sha256()
    for name in _RENDERERS:
        try:
            digest.update(f"{name}={version(name)}\n".encode())
        except PackageNotFoundError:
            digest.update(f"{name}=?\n".encode())
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def cached_document(build: Callable[[], dict[str, Any]], directory: Path | None = None) -> dict[str, Any]:
    """The stored document for this source when there is one, else `build()`, then stored."""
    folder = directory or cache_directory()
    entry = folder / f"openapi-{source_digest()}.json"
    try:
        stored: dict[str, Any] = json.loads(entry.read_bytes())
        return stored
    except (OSError, ValueError):
        pass  # none yet, or unreadable: build it
    document = build()
    _store(folder, entry, document)
    return document


def _store(folder: Path, entry: Path, document: dict[str, Any]) -> None:
    """Writes the entry atomically (a reader sees the whole file or none); failures only log."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(document))
        partial.replace(entry)
        _remove_old_entries(folder)
    except OSError as exc:
        logger.debug("the OpenAPI document is not cached: %s", exc)


def _remove_old_entries(folder: Path) -> None:
    entries = sorted(folder.glob("openapi-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[_KEPT_ENTRIES:]:
        old.unlink(missing_ok=True)
