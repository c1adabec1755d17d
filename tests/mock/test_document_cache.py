"""The mock's OpenAPI document cache: read only for the same source, rebuilt when it cannot be."""

import json
from pathlib import Path
from typing import Any

from rentengine.api import create_api_app
from rentengine.mock import create_mock_app, mock_settings
from rentengine.mock.document_cache import cached_document, source_digest


def built() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.dumps(create_api_app().openapi()))
    return document


def test_a_second_start_serves_the_stored_document_which_is_the_built_one(document_cache: Path) -> None:
    create_mock_app(mock_settings())
    entries = list(document_cache.glob("openapi-*.json"))
    assert [entry.name for entry in entries] == [f"openapi-{source_digest()}.json"]
    assert json.loads(entries[0].read_bytes()) == built()
    second = create_mock_app(mock_settings())
    assert second.state.document == built()


def test_any_change_to_the_source_makes_another_digest(tmp_path: Path) -> None:
    package = tmp_path / "package"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("A = 1\n")
    (package / "sub" / "b.py").write_text("B = 2\n")
    before = source_digest(package)
    assert source_digest(package) == before
    (package / "sub" / "b.py").write_text("B = 3\n")
    changed = source_digest(package)
    assert changed != before
    (package / "sub" / "b.py").rename(package / "b.py")  # same bytes, another module
    assert source_digest(package) not in (before, changed)


def test_a_damaged_entry_is_rebuilt_and_replaced(tmp_path: Path) -> None:
    entry = tmp_path / f"openapi-{source_digest()}.json"
    entry.write_text('{"openapi": "3.1.0", "pa')
    calls: list[int] = []

    def build() -> dict[str, Any]:
        calls.append(1)
        return {"openapi": "3.1.0", "paths": {}}

    assert cached_document(build, tmp_path) == {"openapi": "3.1.0", "paths": {}}
    assert cached_document(build, tmp_path) == {"openapi": "3.1.0", "paths": {}}
    assert len(calls) == 1
    assert json.loads(entry.read_text()) == {"openapi": "3.1.0", "paths": {}}


def test_an_unwritable_cache_still_gives_the_built_document(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    assert cached_document(lambda: {"built": True}, blocked / "rentengine") == {"built": True}
    assert blocked.read_text() == "a file where the cache folder would be"


def test_only_the_latest_entries_are_kept(tmp_path: Path) -> None:
    for n in range(12):
        old = tmp_path / f"openapi-old{n:02d}.json"
        old.write_text("{}")
    cached_document(lambda: {"new": True}, tmp_path)
    entries = sorted(p.name for p in tmp_path.glob("openapi-*.json"))
    assert len(entries) == 8
    assert f"openapi-{source_digest()}.json" in entries
