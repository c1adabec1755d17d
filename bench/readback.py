"""Reading acknowledged writes back after a run (the soak and the cluster run): what each record
holds now, through the API as a client would read it."""

import asyncio
from typing import Any, Protocol

from bench.soak_load import EVENTS, PAGE, PROPERTIES, UNITS, Ack
from bench.soak_receiver import marker_of

Found = dict[tuple[str, str], str | None]


class PageReader(Protocol):
    async def get(self, path: str, params: dict[str, str | int]) -> list[Any] | None:
        """One page, or None when it could not be read within the reader's budget."""
        ...


async def stored_markers(
    reader: PageReader, acks: list[Ack], account_id: str, lanes: int
) -> tuple[Found, int]:
    """(table, id) -> the marker stored now, for every acknowledged record found; and how many were unread."""
    unique: dict[str, dict[str, None]] = {}
    for ack in acks:
        unique.setdefault(ack.table, {})[ack.record_id] = None
    ids = {table: list(values) for table, values in unique.items()}
    found: Found = {}
    unread = await _by_ids(reader, ids, found, asyncio.Semaphore(lanes))
    # Properties can be asked for one id at a time only: read the account's whole list instead.
    if not await _all_properties(reader, account_id, found):
        unread += sum(1 for record_id in ids.get(PROPERTIES, []) if (PROPERTIES, record_id) not in found)
    return found, unread


async def _by_ids(
    reader: PageReader, ids: dict[str, list[str]], found: Found, gate: asyncio.Semaphore
) -> int:
    """Lockbox events and units, a page of ids per request; returns how many could not be read."""
    unread = 0

    async def batch(table: str, path: str, param: str, chunk: list[str]) -> None:
        nonlocal unread
        async with gate:
            page = await reader.get(path, {param: ",".join(chunk), "limit": PAGE})
        if page is None:
            unread += len(chunk)
            return
        for record in page:
            found[table, str(record["id"])] = marker_of(table, record)

    jobs = []
    for table, path, param in (
        (EVENTS, "/lockbox_events", "lockbox_event_ids"),
        (UNITS, "/units", "unitIds"),
    ):
        wanted = ids.get(table, [])
        jobs += [batch(table, path, param, wanted[i : i + PAGE]) for i in range(0, len(wanted), PAGE)]
    await asyncio.gather(*jobs)
    return unread


async def _all_properties(reader: PageReader, account_id: str, found: Found) -> bool:
    """Every property of the account into `found`; False when a page could not be read."""
    page_number = 0
    while True:
        params: dict[str, str | int] = {"account_id": account_id, "limit": PAGE, "page_number": page_number}
        page = await reader.get("/multifamily_properties", params)
        if page is None:
            return False
        for record in page:
            found[PROPERTIES, str(record["id"])] = marker_of(PROPERTIES, record)
        if len(page) < PAGE:
            return True
        page_number += 1
