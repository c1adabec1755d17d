"""Answers repeated requests from memory: the mock is a pure function of the request.

The mock keeps no state, so the same method, path, query, token presence, `Prefer`, content type and
body always get the same answer. The first such request goes through the full validating stack; its
answer is remembered (bounded, least recently used first out) and later ones are sent as stored bytes
without routing, validation or serialisation. `Prefer: dynamic=true` answers are random and are
never remembered.
"""

from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rentengine.middleware import replay_body
from rentengine.mock.routes import has_bearer

MAX_ENTRIES = 4096
MAX_BYTES = 64 * 1024 * 1024
# Bodies larger than this are answered normally and not remembered (they are rare and bulky).
MAX_REQUEST_BYTES = 64 * 1024

Key = tuple[str, str, bytes, bool, bytes, bytes, bytes]


@dataclass(frozen=True)
class Stored:
    start: Message
    body: bytes


def _header(scope: Scope, name: bytes) -> bytes:
    return b", ".join(v for k, v in scope.get("headers", []) if k == name)


class ResponseMemo:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.entries: OrderedDict[Key, Stored] = OrderedDict()
        self.stored_bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        prefer = _header(scope, b"prefer")
        if scope["type"] != "http" or b"dynamic" in prefer.lower():
            await self.app(scope, receive, send)
            return
        body, complete = await _read_small(receive)
        if not complete:
            await self.app(scope, _replay_then(body, receive), send)
            return
        authorization = _header(scope, b"authorization").decode("latin-1") or None
        key: Key = (
            scope["method"],
            scope["path"],
            scope.get("query_string", b""),
            has_bearer(authorization),
            prefer,
            _header(scope, b"content-type"),
            body,
        )
        stored = self.entries.get(key)
        if stored is not None:
            self.entries.move_to_end(key)
            await send(stored.start)
            await send({"type": "http.response.body", "body": stored.body})
            return
        await self.app(scope, replay_body(body), self._recording(key, send))

    def _recording(self, key: Key, send: Send) -> Send:
        start: Message | None = None
        chunks: list[bytes] = []

        async def record(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False) and start is not None:
                    self._remember(key, Stored(start, b"".join(chunks)))
            await send(message)

        return record

    def _remember(self, key: Key, stored: Stored) -> None:
        size = len(stored.body) + len(key[6])
        if size > MAX_BYTES // 16:
            return
        self.entries[key] = stored
        self.stored_bytes += size
        while len(self.entries) > MAX_ENTRIES or self.stored_bytes > MAX_BYTES:
            old_key, old = self.entries.popitem(last=False)
            self.stored_bytes -= len(old.body) + len(old_key[6])


async def _read_small(receive: Receive) -> tuple[bytes, bool]:
    """The request body when it is at most MAX_REQUEST_BYTES (complete=True), else what was read."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > MAX_REQUEST_BYTES:
            return b"".join(chunks), False


def _replay_then(head: bytes, receive: Receive) -> Receive:
    """Hands back the part already read, then the rest of the body from the client."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": head, "more_body": True}
        return await receive()

    return replayed
