"""Refuses the NUL character in query parameters and JSON bodies with a 400.

PostgreSQL cannot store U+0000 in text or JSONB (SQLite can), so without this guard the same request
would succeed on one backend and fail with a 500 on the other. One check at the edge covers every
field of every operation, including JSON object keys and free-form metadata.
"""

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from rentengine.errors import QUERY_ERROR, BadRequest, detail, pointer, render
from rentengine.middleware import replay_body

_MESSAGE = "must NOT contain the NUL character (\\u0000)"
_PARAMS = {"pattern": "^[^\\u0000]*$"}


def _nul_paths(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                yield (*path, key)
            yield from _nul_paths(item, (*path, key))


def _nul_in_query(query_string: bytes) -> BadRequest | None:
    if b"%00" not in query_string.lower():
        return None
    names = [
        name
        for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
        if "\x00" in name or "\x00" in value
    ]
    return BadRequest([detail("pattern", pointer([name]), _MESSAGE, _PARAMS) for name in names], QUERY_ERROR)


def _nul_in_body(body: bytes) -> BadRequest | None:
    if b"\\u0000" not in body:
        return None
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None  # malformed JSON gets its own 400 further in
    paths = list(_nul_paths(parsed))
    return BadRequest([detail("pattern", pointer(p), _MESSAGE, _PARAMS) for p in paths]) if paths else None


class NulGuard:
    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        refused = _nul_in_query(scope.get("query_string", b""))
        if refused is None and scope["method"] in ("POST", "PUT", "PATCH"):
            body = await _read_all(receive)
            refused = _nul_in_body(body)
            receive = replay_body(body)
        if refused is not None:
            await render(refused)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _read_all(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
