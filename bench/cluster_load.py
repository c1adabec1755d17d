"""The cluster run's clients: the soak run's mix of reads and writes, through the balancer, timed.

Each client is `bench.soak_load.Client` (its markers, its acknowledged writes, its 429 handling) with
two API keys of its account used in turn, and every request's start, end and outcome kept on one
timeline, so that the run can tell which failures fell in which fault's window. The rate-limit
hammer sends as many requests as it can with one key and counts what each window let through.
"""

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.soak_load import MIX, PAUSE_AFTER_FAILURE_SECONDS, Client, Workload

NO_ANSWER = 0  # the status of a request that got none
# Rows per page a client reads: a screenful, as an integration that polls would ask for.
READ_PAGE = 25


@dataclass(frozen=True)
class Outcome:
    started: float  # monotonic
    ended: float
    op: str
    status: int  # NO_ANSWER when there was none
    failure: str  # timeout, refused, dropped, other; "" when answered


@dataclass
class Timeline:
    outcomes: list[Outcome] = field(default_factory=list)

    def between(self, start: float, end: float) -> list[Outcome]:
        """The requests that ended in [start, end)."""
        return [o for o in self.outcomes if start <= o.ended < end]


class ClusterClient(Client):
    """A soak client whose requests alternate between its keys and land on the shared timeline."""

    def __init__(
        self, work: Workload, tokens: list[str], number: int, timeline: Timeline, interval: float
    ) -> None:
        super().__init__(work, tokens[0], number)
        self.tokens = tokens
        self.turn = number
        self.timeline = timeline
        self.interval = interval

    async def run(self) -> None:
        """Requests one after the other; with an interval, each starts that long (on average) after
        the one before, or at once when that one took longer."""
        ops, weights = list(MIX), list(MIX.values())
        try:
            while time.monotonic() < self.work.deadline:
                started = time.monotonic()
                await self.step(self.rng.choices(ops, weights)[0])
                if self.interval:
                    pause = started + self.interval * self.rng.uniform(0.5, 1.5) - time.monotonic()
                    await asyncio.sleep(max(0.0, pause))
        finally:
            await self.close()

    async def read_page(self, op: str) -> None:
        path = op.removeprefix("GET ")
        page = self.pages.setdefault(op, self.rng.randrange(40))
        response = await self.request(op, "GET", path, params={"limit": READ_PAGE, "page_number": page})
        if response is not None and response.status_code == 200:
            self.pages[op] = page + 1 if len(response.json()) == READ_PAGE else 0

    async def request(self, op: str, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        self.turn += 1
        headers = {"Authorization": f"Bearer {self.tokens[self.turn % len(self.tokens)]}"}
        started = time.monotonic()
        try:
            response = await self.http.request(method, url, headers=headers, **kwargs)
        except httpx.TimeoutException:
            kind = "timeout"
        except httpx.ConnectError:
            kind = "refused"
        except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
            kind = "dropped"
        except httpx.TransportError:
            kind = "other"
        else:
            ended = time.monotonic()
            self.tally.answered(op, response.status_code, ended - started, response.text)
            self.timeline.outcomes.append(Outcome(started, ended, op, response.status_code, ""))
            if response.status_code == 429:
                await asyncio.sleep(self._retry_after(response))
            return response
        ended = time.monotonic()
        self.last_failure = kind
        self.tally.failed(op, kind, started, ended)
        self.timeline.outcomes.append(Outcome(started, ended, op, NO_ANSWER, kind))
        await asyncio.sleep(PAUSE_AFTER_FAILURE_SECONDS)
        return None


async def run_clients(
    workloads: list[tuple[Workload, list[list[str]]]], timeline: Timeline, interval: float = 0.0
) -> None:
    """Every workload (one per account) with one client per token list, until their deadlines;
    `interval`: see `ClusterClient.run` (0: as fast as the answers come)."""
    clients = [
        ClusterClient(work, tokens, number, timeline, interval)
        for work, token_lists in workloads
        for number, tokens in enumerate(token_lists)
    ]
    await asyncio.gather(*(client.run() for client in clients))


# --- the rate-limit hammer ------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    status: int
    remaining: int  # X-Ratelimit-Remaining: the limit less the hits its window counted so far
    limit: int


async def hammer(api: str, token: str, seconds: float, connections: int) -> list[Hit]:
    """GET /units?limit=1 with one key from `connections` connections at once, for `seconds`."""
    hits: list[Hit] = []
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=api, headers=headers, timeout=10, limits=limits) as client:

        async def lane() -> None:
            while time.monotonic() < deadline:
                try:
                    response = await client.get("/units", params={"limit": 1})
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
                    continue
                remaining = int(response.headers.get("x-ratelimit-remaining", "-1"))
                limit = int(response.headers.get("x-ratelimit-limit", "-1"))
                hits.append(Hit(response.status_code, remaining, limit))

        await asyncio.gather(*(lane() for _ in range(connections)))
    return hits


@dataclass(frozen=True)
class RateFigures:
    """What the hammer's answers say about the windows that counted them.

    The counter is one Redis INCR (a Lua script with the expiry) per hit, so within one window each
    count, hence each `remaining` value, is handed out once: the 200s with remaining = limit - 1
    are the windows' first hits, and the 200s with remaining = limit - k are the windows that let
    through at least k requests. A store that failed lets requests through uncounted (remaining =
    limit); per-node counters would open one window per node per period.
    """

    limit: int
    windows: int  # windows opened
    allowed: int
    refused: int
    uncounted: int  # 200s let through because the store failed
    by_count: dict[int, int]  # k -> windows that let through at least k

    @property
    def most_in_a_window(self) -> int:
        counted = max((k for k, n in self.by_count.items() if n), default=0)
        return counted + self.uncounted


def rate_figures(hits: list[Hit]) -> RateFigures:
    limit = max((hit.limit for hit in hits), default=0)
    allowed = [hit for hit in hits if hit.status == 200]
    by_count = {k: sum(1 for hit in allowed if hit.remaining == limit - k) for k in range(1, limit + 1)}
    return RateFigures(
        limit=limit,
        windows=by_count.get(1, 0),
        allowed=len(allowed),
        refused=sum(1 for hit in hits if hit.status == 429),
        uncounted=sum(1 for hit in allowed if hit.remaining == limit),
        by_count=by_count,
    )
