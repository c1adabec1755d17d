"""A small async load generator: `count` requests, at most `concurrency` in flight, timed."""

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from rentengine.webhooks.delivery.outbox import new_event_id
from rentengine.webhooks.delivery.signing import delivery_headers


@dataclass
class LoadResult:
    requests: int
    seconds: float
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def run_load(
    count: int, concurrency: int, send: Callable[[int], Awaitable[int]], pace_seconds: float = 0.0
) -> LoadResult:
    """Calls `send(i)` for i in 0..count-1 (it returns the HTTP status).

    With `pace_seconds`, request i is not started before `i * pace_seconds` after the start, which
    offers a steady load instead of as much as the target can take.
    """
    statuses: Counter[int] = Counter()
    indices = iter(range(count))
    started = time.perf_counter()

    async def lane() -> None:
        for i in indices:  # the shared iterator hands each index to exactly one lane
            if pace_seconds:
                await asyncio.sleep(max(0.0, started + i * pace_seconds - time.perf_counter()))
            statuses[await send(i)] += 1

    await asyncio.gather(*(lane() for _ in range(max(1, min(concurrency, count)))))
    return LoadResult(count, time.perf_counter() - started, statuses)


def webhook_sender(
    client: httpx.AsyncClient, url: str, secret: str, body: str
) -> Callable[[int], Awaitable[int]]:
    """Sends what the delivery worker sends: a signed payload with a fresh webhook-id per request."""

    async def send(_i: int) -> int:
        headers = delivery_headers(secret, new_event_id(), int(time.time()), body, api_key=None)
        response = await client.post(url, content=body, headers=headers)
        return response.status_code

    return send


class RawHttpSender:
    """Signed webhook POSTs over plain keep-alive HTTP/1.1 connections, with next to no client cost.

    Measures what the receiver itself can take: a general-purpose client spends more CPU per request
    than this receiver does, so it would measure the client instead.
    """

    def __init__(self, url: str, secret: str, body: str, connections: int) -> None:
        parsed = httpx.URL(url)
        self.host, self.port, self.path = parsed.host, parsed.port or 80, parsed.raw_path
        self.secret, self.body, self.connections = secret, body, connections
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(self.connections):
            self.idle.put_nowait(await asyncio.open_connection(self.host, self.port))

    async def close(self) -> None:
        while not self.idle.empty():
            _, writer = self.idle.get_nowait()
            writer.close()
            await writer.wait_closed()

    def _request(self) -> bytes:
        body = self.body.encode()
        headers = delivery_headers(self.secret, new_event_id(), int(time.time()), self.body, api_key=None)
        headers |= {"Host": f"{self.host}:{self.port}", "Content-Length": str(len(body))}
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return f"POST {self.path.decode()} HTTP/1.1\r\n{head}\r\n".encode() + body

    async def send(self, _i: int) -> int:
        reader, writer = await self.idle.get()
        writer.write(self._request())
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        length = next(
            (int(v) for k, _, v in (x.partition(":") for x in lines) if k.lower() == "content-length"), 0
        )
        await reader.readexactly(length)
        self.idle.put_nowait((reader, writer))
        return int(status_line.split()[1])
