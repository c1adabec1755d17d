"""What the cluster run checks after the load: every acknowledged write stored, with its audit entry
(both read back through the balancer, as a client would), and every change delivered."""

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.counting import enqueued, received
from bench.readback import stored_markers
from bench.soak_load import PAGE, Ack
from bench.soak_receiver import MARKER_FIELDS

READ_LANES = 6
READ_BUDGET_SECONDS = 300.0


class Reader:
    """GETs spread over an account's keys, waiting out 429s and retrying failures, within a budget."""

    def __init__(self, api: str, tokens: list[str], deadline: float) -> None:
        self.http = httpx.AsyncClient(base_url=api, timeout=30)
        self.tokens, self.turn, self.deadline = tokens, 0, deadline

    async def get(self, path: str, params: dict[str, str | int]) -> list[Any] | None:
        while time.monotonic() < self.deadline:
            self.turn += 1
            token = self.tokens[self.turn % len(self.tokens)]
            try:
                response = await self.http.get(
                    path, params=params, headers={"Authorization": f"Bearer {token}"}
                )
            except httpx.TransportError:
                await asyncio.sleep(0.5)
                continue
            if response.status_code == 200:
                body: list[Any] = response.json()
                return body
            await asyncio.sleep(0.2 if response.status_code == 429 else 1.0)
        return None

    async def pages(self, path: str, params: dict[str, str | int]) -> list[Any] | None:
        """Every page of a list, READ_LANES pages at a time; None when one could not be read."""
        records: list[Any] = []
        first = 0
        while True:
            batch = await asyncio.gather(
                *(
                    self.get(path, {**params, "limit": PAGE, "page_number": first + n})
                    for n in range(READ_LANES)
                )
            )
            for page in batch:
                if page is None:
                    return None
                records += page
                if len(page) < PAGE:
                    return records
            first += READ_LANES

    async def close(self) -> None:
        await self.http.aclose()


@dataclass
class Stored:
    """The acknowledged writes of one account, looked for afterwards."""

    acknowledged: Counter[str] = field(default_factory=Counter)  # table -> writes
    missing: list[str] = field(default_factory=list)
    without_audit: list[str] = field(default_factory=list)
    unread: int = 0
    audit_entries: int = 0


def _audited(entries: list[dict[str, Any]]) -> tuple[set[tuple[str, str]], set[tuple[str, str, str]]]:
    """The inserts (table, record id) and the updates (table, record id, marker written) the log holds."""
    inserts, updates = set(), set()
    for entry in entries:
        key = (str(entry["table"]), str(entry["record_id"]))
        if entry["action"] == "INSERT":
            inserts.add(key)
        elif entry["action"] == "UPDATE":
            changed = (entry.get("changes") or {}).get(MARKER_FIELDS.get(key[0], ""))
            if isinstance(changed, list) and len(changed) == 2:
                updates.add((*key, str(changed[1])))
    return inserts, updates


async def check_stored(api: str, tokens: list[str], acks: list[Ack], account_id: str, since: str) -> Stored:
    """Each acknowledged write: its record is there (an update: with this write's marker or a later
    one of the same client) and the audit log has its entry (an update: the entry that wrote its marker)."""
    result = Stored()
    reader = Reader(api, tokens, time.monotonic() + READ_BUDGET_SECONDS)
    try:
        found, result.unread = await stored_markers(reader, acks, account_id, READ_LANES)
        entries = await reader.pages("/audit_log", {"created_after": since})
    finally:
        await reader.close()
    if entries is None:
        raise RuntimeError(f"the audit log of account {account_id} could not be read within the budget")
    result.audit_entries = len(entries)
    inserts, updates = _audited(entries)
    for ack in acks:
        result.acknowledged[ack.table] += 1
        key = (ack.table, ack.record_id)
        name = f"{ack.kind} {ack.table} {ack.record_id} ({ack.marker})"
        if key not in found:
            result.missing.append(name)
        audited = key in inserts if ack.kind == "INSERT" else (*key, ack.marker) in updates
        if not audited:
            result.without_audit.append(name)
    return result


@dataclass
class Delivered:
    """What the receiver got, against what the database enqueued and what the clients wrote."""

    enqueued: int = 0  # deliveries the database holds (one per change and subscription)
    received: int = 0  # 2xx answers the receiver gave
    distinct: int = 0  # distinct (path, webhook-id) answered 2xx
    undelivered: int = 0  # enqueued, never answered 2xx
    acknowledged_undelivered: int = 0  # acknowledged writes whose marker never arrived
    bad_signatures: int = 0
    waited_seconds: float = 0.0
    # delivery -> (created_at, first 2xx arrival), both Unix seconds: commit -> receipt.
    lags: list[tuple[float, float]] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return self.received - self.distinct


async def _markers_received(client: httpx.AsyncClient, receiver: str) -> set[str]:
    rows = (await client.get(f"{receiver}/_bench/deliveries", params={"since": 0})).json()
    return {marker for _id, _table, _kind, marker in rows if marker is not None}


async def check_delivered(
    receiver: str, database_url: str, account_ids: list[str], acks: list[Ack], budget: float
) -> Delivered:
    """Waits (at most `budget` s) until every enqueued delivery has reached the receiver."""
    result = Delivered()
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=60) as client:
        while True:
            created: dict[tuple[str, str], float] = {}
            for account_id in account_ids:
                created.update((await enqueued(database_url, account_id)).created_at)
            log = await received(client, receiver)
            first = log.first_success
            undelivered = set(created) - set(first)
            if not undelivered or time.monotonic() - started > budget:
                break
            await asyncio.sleep(3.0)
        markers = await _markers_received(client, receiver)
        stats = (await client.get(f"{receiver}/_bench/stats")).json()
    result.waited_seconds = time.monotonic() - started
    result.enqueued = len(created)
    result.received = log.successes
    result.distinct = len(first)
    result.undelivered = len(undelivered)
    result.acknowledged_undelivered = len({ack.marker for ack in acks} - markers)
    result.bad_signatures = int(stats["bad_signatures"])
    result.lags = [(at, first[key]) for key, at in created.items() if key in first]
    return result
