"""The soak run's clients: a mix of reads and writes, each client with its own API key and connection.

Every write carries a marker of its own (a property's `description`, a unit's `internal_notes`, an
event's `metadata.soak`), so the run can later find each acknowledged write in the API and in the
webhook deliveries. A 429 is counted and its `Retry-After` honoured; a request that fails without an
answer (refused, dropped, or no answer within the timeout) is counted with its start and end, and the
client carries on with its next request after a short pause.
"""

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

REQUEST_TIMEOUT_SECONDS = 10.0
PAGE = 100
# After a request without an answer, before the next one: a client must not spin while the server is down.
PAUSE_AFTER_FAILURE_SECONDS = 0.25
MIN_RETRY_AFTER_SECONDS = 0.1

UNITS, PROPERTIES, EVENTS = "units", "multifamily_properties", "lockbox_events"

# Operation -> weight. Reads page through whole lists; writes create and update records.
MIX: dict[str, int] = {
    "GET /units": 30,
    "GET /lockbox_events": 20,
    "GET /multifamily_properties": 15,
    "POST /multifamily_properties (create)": 8,
    "POST /multifamily_properties (update)": 8,
    "POST /lockbox_events": 12,
    "POST /units (create)": 4,
    "POST /units (update)": 3,
}


@dataclass(frozen=True)
class Ack:
    """A write the API acknowledged (2xx): what to look for afterwards."""

    table: str
    kind: str  # INSERT or UPDATE
    record_id: str
    marker: str


@dataclass(frozen=True)
class Failure:
    """A request that got no answer: why, and when (monotonic clock)."""

    kind: str  # timeout, refused, dropped, other
    started: float
    ended: float


@dataclass
class Tally:
    requests: Counter[str] = field(default_factory=Counter)  # per operation
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)  # (operation, status)
    latencies: dict[str, list[float]] = field(default_factory=dict)  # seconds, 2xx only, per operation
    failures: list[Failure] = field(default_factory=list)
    failures_by_op: Counter[str] = field(default_factory=Counter)
    acks: list[Ack] = field(default_factory=list)
    # (table, record id) -> every marker sent for that record, in the order sent (its own client only).
    sent_markers: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    # Marker of an update -> what became of its request: "acknowledged", "answered 4xx/5xx: N", or
    # "no answer: timeout/refused/dropped/other".
    outcomes: dict[str, str] = field(default_factory=dict)
    # A few bodies of unexpected answers (5xx, 4xx other than 429), for the log.
    samples: list[str] = field(default_factory=list)

    def answered(self, op: str, status: int, seconds: float, body: str) -> None:
        self.requests[op] += 1
        self.statuses[op, status] += 1
        if 200 <= status < 300:
            self.latencies.setdefault(op, []).append(seconds)
        elif status != 429 and len(self.samples) < 20:
            self.samples.append(f"{op}: {status} {body[:300]}")

    def failed(self, op: str, kind: str, started: float, ended: float) -> None:
        self.requests[op] += 1
        self.failures_by_op[op] += 1
        self.failures.append(Failure(kind, started, ended))

    def count(self, low: int, high: int) -> int:
        return sum(n for (_, status), n in self.statuses.items() if low <= status < high)


@dataclass
class Workload:
    """What every client shares: where to send, what exists, when to stop, and the tally."""

    api: str
    account_id: str
    lockbox_ids: list[str]
    unit_ids: list[int]
    deadline: float  # monotonic
    tally: Tally = field(default_factory=Tally)


def new_marker() -> str:
    return f"soak-{uuid.uuid4().hex}"


def property_body(account_id: str, marker: str, rng: random.Random) -> dict[str, Any]:
    """A create body (the shape of the API's documented example), its description the marker."""
    return {
        "community_name": f"Soak Towers {rng.randrange(10**6)}",
        "building_count": rng.randint(1, 12),
        "unit_count": rng.randint(5, 400),
        "description": marker,
        "structure_type": rng.choice(["Mid Rise", "High Rise", "Garden Style"]),
        "year_built": rng.randint(1950, 2024),
        "photos": [{"path": "https://example.com/images/soak-towers.jpg", "hidden": False}],
        "text_address": f"{rng.randint(1, 9999)} Main St, San Francisco, CA 94111",
        "account_id": account_id,
    }


def unit_body(account_id: str, marker: str, rng: random.Random) -> dict[str, Any]:
    """A create body for a house, its internal notes the marker."""
    return {
        "account_id": account_id,
        "address": {
            "street_number": str(rng.randint(1, 9999)),
            "street_name": "Soak Ave",
            "city": "Austin",
            "state": "TX",
            "zip_code": "78701",
        },
        "property_type": "SINGLE FAMILY RESIDENCE",
        "bedrooms": rng.randint(1, 5),
        "target_rental_rate": rng.randint(900, 4000),
        "internal_notes": marker,
    }


class Client:
    """One API client: its own key and keep-alive connection, one request at a time."""

    def __init__(self, work: Workload, token: str, number: int) -> None:
        self.work, self.tally = work, work.tally
        self.rng = random.Random(number)
        self.http = httpx.AsyncClient(
            base_url=work.api,
            headers={"Authorization": f"Bearer {token}"},
            timeout=REQUEST_TIMEOUT_SECONDS,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )
        self.pages: dict[str, int] = {}
        self.properties: list[str] = []  # acknowledged, created by this client
        self.units: list[str] = []
        self.last_failure = ""  # why the last request that got no answer got none

    async def close(self) -> None:
        await self.http.aclose()

    async def request(self, op: str, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        """The answer, or None when there was none; 429 waits out its Retry-After."""
        started = time.monotonic()
        try:
            response = await self.http.request(method, url, **kwargs)
        except httpx.TimeoutException:
            kind = "timeout"
        except httpx.ConnectError:
            kind = "refused"
        except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
            kind = "dropped"
        except httpx.TransportError:
            kind = "other"
        else:
            self.tally.answered(op, response.status_code, time.monotonic() - started, response.text)
            if response.status_code == 429:
                await asyncio.sleep(self._retry_after(response))
            return response
        self.last_failure = kind
        self.tally.failed(op, kind, started, time.monotonic())
        await asyncio.sleep(PAUSE_AFTER_FAILURE_SECONDS)
        return None

    @staticmethod
    def _retry_after(response: httpx.Response) -> float:
        try:
            return max(MIN_RETRY_AFTER_SECONDS, float(response.headers.get("retry-after", "1")))
        except ValueError:
            return 1.0

    async def run(self) -> None:
        ops, weights = list(MIX), list(MIX.values())
        try:
            while time.monotonic() < self.work.deadline:
                op = self.rng.choices(ops, weights)[0]
                await self.step(op)
        finally:
            await self.close()

    async def step(self, op: str) -> None:
        if op.startswith("GET "):
            await self.read_page(op)
        elif op == "POST /multifamily_properties (create)":
            await self.create_property()
        elif op == "POST /multifamily_properties (update)":
            await (self.update_property() if self.properties else self.create_property())
        elif op == "POST /lockbox_events":
            await self.post_events()
        elif op == "POST /units (create)":
            await self.create_unit()
        elif op == "POST /units (update)":
            await (self.update_unit() if self.units else self.create_unit())

    async def read_page(self, op: str) -> None:
        path = op.removeprefix("GET ")
        page = self.pages.setdefault(op, self.rng.randrange(20))
        response = await self.request(op, "GET", path, params={"limit": PAGE, "page_number": page})
        if response is not None and response.status_code == 200:
            full = len(response.json()) == PAGE
            self.pages[op] = page + 1 if full else 0

    def _sent(self, table: str, record_id: str, marker: str) -> None:
        self.tally.sent_markers.setdefault((table, record_id), []).append(marker)

    def _settled(self, marker: str, response: httpx.Response | None) -> bool:
        """Records what became of an update's request; True when it was acknowledged."""
        if response is None:
            self.tally.outcomes[marker] = f"no answer: {self.last_failure}"
            return False
        if response.status_code == 200:
            self.tally.outcomes[marker] = "acknowledged"
            return True
        self.tally.outcomes[marker] = f"answered {response.status_code}"
        return False

    async def create_property(self) -> None:
        op, marker = "POST /multifamily_properties (create)", new_marker()
        body = property_body(self.work.account_id, marker, self.rng)
        response = await self.request(op, "POST", "/multifamily_properties", json=body)
        if response is not None and response.status_code in (200, 201):
            record_id = str(response.json()[0]["id"])
            self._sent(PROPERTIES, record_id, marker)
            self.tally.acks.append(Ack(PROPERTIES, "INSERT", record_id, marker))
            self.properties.append(record_id)

    async def update_property(self) -> None:
        op, marker = "POST /multifamily_properties (update)", new_marker()
        record_id = self.rng.choice(self.properties)
        body = {"id": record_id, "description": marker, "unit_count": self.rng.randint(5, 400)}
        self._sent(PROPERTIES, record_id, marker)  # before sending: it may be applied unacknowledged
        response = await self.request(op, "POST", "/multifamily_properties", json=body)
        if self._settled(marker, response):
            self.tally.acks.append(Ack(PROPERTIES, "UPDATE", record_id, marker))

    async def post_events(self) -> None:
        op = "POST /lockbox_events"
        markers = [new_marker() for _ in range(self.rng.randint(1, 5))]
        events = [
            {
                "lockbox_id": self.rng.choice(self.work.lockbox_ids),
                "event_type": self.rng.choice(["Install", "Uninstall"]),
                "unit_id": self.rng.choice(self.work.unit_ids),
                "metadata": {"soak": marker},
            }
            for marker in markers
        ]
        response = await self.request(op, "POST", "/lockbox_events", json={"events": events})
        if response is not None and response.status_code == 201:
            for record in response.json():
                marker = str(record["metadata"]["soak"])
                self.tally.acks.append(Ack(EVENTS, "INSERT", str(record["id"]), marker))

    async def create_unit(self) -> None:
        op, marker = "POST /units (create)", new_marker()
        body = unit_body(self.work.account_id, marker, self.rng)
        response = await self.request(op, "POST", "/units", json=body)
        if response is not None and response.status_code in (200, 201):
            record_id = str(response.json()["id"])
            self._sent(UNITS, record_id, marker)
            self.tally.acks.append(Ack(UNITS, "INSERT", record_id, marker))
            self.units.append(record_id)

    async def update_unit(self) -> None:
        op, marker = "POST /units (update)", new_marker()
        record_id = self.rng.choice(self.units)
        body = {
            "id": int(record_id),
            "internal_notes": marker,
            "target_rental_rate": self.rng.randint(900, 4000),
        }
        self._sent(UNITS, record_id, marker)
        response = await self.request(op, "POST", "/units", json=body)
        if self._settled(marker, response):
            self.tally.acks.append(Ack(UNITS, "UPDATE", record_id, marker))


async def run_clients(work: Workload, tokens: list[str]) -> None:
    """One client per token until the workload's deadline."""
    clients = [Client(work, token, n) for n, token in enumerate(tokens)]
    await asyncio.gather(*(client.run() for client in clients))
