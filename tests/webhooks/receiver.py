"""A real local HTTP receiver for webhook tests (an asyncio server on a free port of 127.0.0.1), and
the sending side's set-up: a database of their own, a running worker, bounded waits.

It records every request (method, path, headers, raw body, arrival time) and answers with what the
test programs: a queue of scripted replies, then a default, or a function of the request. It speaks
just enough HTTP/1.1 for a client (keep-alive, Content-Length bodies), so tests see exactly the
bytes the worker sent.
"""

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import true

from rentengine.db.session import Database
from rentengine.kit.clock import utc_now
from rentengine.settings import Settings
from rentengine.webhooks import repository
from rentengine.webhooks.delivery.worker import DeliveryWorker
from tests.databases import throwaway_database

DEFAULT_WAIT_SECONDS = 15.0


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    # Lower-cased names; the last value wins for a repeated header.
    headers: dict[str, str]
    body: bytes
    # time.monotonic() on arrival.
    at: float

    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"received": true}'
    # Seconds to wait before answering (to provoke a timeout).
    delay: float = 0.0


Responder = Callable[[Received], Reply]


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: deque[Reply] = deque()
        self.default = Reply()
        self.respond: Responder | None = None
        self._arrived = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[Any]] = set()
        self.port = 0

    def url(self, path: str = "/hooks") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def reply_with(self, *replies: Reply) -> None:
        """The next requests get these replies in order; later ones get `default`."""
        self.script.extend(replies)

    def to(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def wait_for(
        self, count: int, path: str | None = None, within: float = DEFAULT_WAIT_SECONDS
    ) -> list[Received]:
        """Waits until `count` requests (to `path`, if given) arrived; fails after `within` seconds."""

        def arrived() -> list[Received]:
            return self.requests if path is None else self.to(path)

        async with self._arrived:
            try:
                await asyncio.wait_for(self._arrived.wait_for(lambda: len(arrived()) >= count), within)
            except TimeoutError:
                raise AssertionError(
                    f"expected {count} request(s) within {within} s, got {len(arrived())}"
                ) from None
        return arrived()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def _reply_for(self, request: Received) -> Reply:
        if self.respond is not None:
            return self.respond(request)
        return self.script.popleft() if self.script else self.default

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while (request := await _read_request(reader)) is not None:
                async with self._arrived:
                    self.requests.append(request)
                    self._arrived.notify_all()
                reply = self._reply_for(request)
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                writer.write(_response_bytes(reply))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()


async def _read_request(reader: asyncio.StreamReader) -> Received | None:
    line = await reader.readline()
    if not line.strip():
        return None
    method, path, _version = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (raw := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Received(method, path, headers, body, time.monotonic())


def _response_bytes(reply: Reply) -> bytes:
    reason = HTTPStatus(reply.status).phrase if reply.status in HTTPStatus._value2member_map_ else "Status"
    lines = [f"HTTP/1.1 {reply.status} {reason}", f"Content-Length: {len(reply.body)}"]
    lines += [f"{name}: {value}" for name, value in reply.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + reply.body


@asynccontextmanager
async def running_receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.close()


# --- The sending side, as the delivery tests set it up -------------------------------------------


def fresh_database(backend: str, directory: Path) -> AbstractAsyncContextManager[str]:
    """A migrated database of its own, so that no other test's deliveries reach these workers."""
    return throwaway_database(backend, directory, prefix="rentengine_hooks")


def settings_with(base: Settings, **overrides: Any) -> Settings:
    """The same settings with some changed, validated like any other."""
    return Settings(**{**base.model_dump(), **overrides})


@asynccontextmanager
async def running_worker(settings: Settings, db: Database, **options: Any) -> AsyncIterator[DeliveryWorker]:
    worker = DeliveryWorker(settings, db, **options)
    await worker.start()
    try:
        yield worker
    finally:
        await worker.stop()


async def wait_until(
    condition: Callable[[], Awaitable[bool]], what: str, within: float = DEFAULT_WAIT_SECONDS
) -> None:
    """Polls `condition` until it holds; fails with `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for: {what}")
        await asyncio.sleep(0.05)


async def cancel_open_deliveries(db: Database) -> None:
    """Leaves nothing due behind for the next test's worker."""
    async with db.transaction() as session:
        await repository.cancel_open_deliveries(session, true(), utc_now())
