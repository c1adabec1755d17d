"""The audit log page in a real browser: who changed what, filters, paging, errors, tenancy."""

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from rentengine.demo import load_demo_data
from rentengine.demo.loader import DemoSizes
from rentengine.kit.clock import set_clock
from tests.factories import property_body
from tests.portal.conftest import Member, Portal, PortalServer, bearer, make_api_key

pytestmark = pytest.mark.slow

MakeMember = Callable[..., Awaitable[Member]]
# Writes dated here (by the command line loader, with this process's clock pinned) are "old".
LONG_AGO = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    set_clock(lambda: moment)
    try:
        yield
    finally:
        set_clock(None)


async def _load_units(server: PortalServer, member: Member, units: int, at: datetime | None = None) -> None:
    """Units written by `rentengine demo-data`'s loader (audited as the command line, without a key)."""
    sizes = DemoSizes(units=units, properties=0, lockbox_events=0)
    if at is None:
        await load_demo_data(server.runtime.settings, sizes, member.account_id, show_progress=False)
        return
    with clock_at(at):
        await load_demo_data(server.runtime.settings, sizes, member.account_id, show_progress=False)


async def _rows(portal: Portal) -> list[dict[str, str]]:
    """The audit table as {column: text} per row, with the entry id."""
    rows = portal.page.locator("tbody tr[data-entry-id]")
    columns = ("time", "action", "table", "record", "who", "changes")
    out: list[dict[str, str]] = []
    for n in range(await rows.count()):
        cells = [c.strip() for c in await rows.nth(n).locator("td").all_inner_texts()]
        entry_id = await rows.nth(n).get_attribute("data-entry-id")
        out.append({"id": entry_id or "", **dict(zip(columns, cells, strict=True))})
    return out


async def _filter(portal: Portal, **fields: str) -> list[dict[str, str]]:
    """Fills the filter form (select options by label, times as typed) and submits it."""
    for name in ("table", "api_key"):
        if name in fields:
            await portal.page.select_option(f"select[name={name}]", label=fields[name])
    for name in ("after", "before"):
        if name in fields:
            await portal.page.fill(f"input[name={name}]", fields[name])
    await portal.page.click("form.filters button[type=submit]")
    await portal.page.wait_for_load_state()
    return await _rows(portal)


async def _write_properties(
    api: httpx.AsyncClient, member: Member, sync_token: str, feed_token: str
) -> tuple[str, str]:
    """An insert and an update with one key, an insert with the other; the two record ids."""
    body = property_body(member.account_id)
    created = await api.post("/multifamily_properties", json=body, headers=bearer(sync_token))
    assert created.status_code == 200, created.text
    first = created.json()[0]["id"]
    update = {"id": first, "account_id": str(member.account_id), "unit_count": 20}
    assert (
        await api.post("/multifamily_properties", json=update, headers=bearer(sync_token))
    ).status_code == 200
    other = property_body(member.account_id, community_name="Harbor Lofts")
    second = await api.post("/multifamily_properties", json=other, headers=bearer(feed_token))
    assert second.status_code == 200, second.text
    return first, second.json()[0]["id"]


async def test_the_audit_page_shows_who_changed_what_and_filters(
    portal: Portal, make_member: MakeMember, api: httpx.AsyncClient
) -> None:
    member = await make_member(email="ops@acme-rentals.example")
    _, sync = await make_api_key(portal.server, member, "PMS sync")
    _, feed = await make_api_key(portal.server, member, "Listings feed")
    await _load_units(portal.server, member, 2, at=LONG_AGO)
    first, second = await _write_properties(api, member, sync, feed)
    await portal.signed_in_as(member)
    await portal.page.click("nav >> text=Audit log")
    await portal.page.wait_for_url(portal.server.url("/portal/audit"))

    rows = await _rows(portal)
    assert [(r["action"], r["table"], r["who"]) for r in rows] == [
        ("INSERT", "units", "CLI"),
        ("INSERT", "units", "CLI"),
        ("INSERT", "multifamily_properties", "PMS sync"),
        ("UPDATE", "multifamily_properties", "PMS sync"),
        ("INSERT", "multifamily_properties", "Listings feed"),
    ]
    assert [r["record"] for r in rows[2:]] == [first, first, second]
    assert rows[0]["time"] == "2025-03-14 09:30:00"
    assert rows[3]["changes"] == "paid_feed_requirements, unit_count"  # the feeds follow the size
    await portal.page.click("tbody tr:nth-child(4) summary")
    assert "unit_count\n75 → 20" in await portal.page.inner_text("tbody tr:nth-child(4) dl")
    await portal.screenshot("audit")

    options = await portal.page.locator("select[name=table] option").all_inner_texts()
    assert options == ["All tables", "multifamily_properties", "units"]
    only_properties = await _filter(portal, table="multifamily_properties")
    assert [r["id"] for r in only_properties] == [r["id"] for r in rows[2:]]
    assert parse_qs(urlsplit(portal.page.url).query)["table"] == ["multifamily_properties"]
    only_feed = await _filter(portal, api_key="Listings feed")
    assert [r["record"] for r in only_feed] == [second]
    assert await portal.page.input_value("select[name=table]") == "multifamily_properties"  # kept


async def test_the_time_range_is_read_as_utc(portal: Portal, make_member: MakeMember) -> None:
    member = await make_member()
    await _load_units(portal.server, member, 1, at=LONG_AGO)
    await _load_units(portal.server, member, 1)
    await portal.signed_in_as(member)
    await portal.goto("/portal/audit")
    both = await _rows(portal)
    assert len(both) == 2
    old, new = both
    # 09:30 UTC is "after 09:30" inclusive and "before 09:30" exclusive, as GET /audit_log reads them.
    assert await _filter(portal, after="2025-03-14T09:30") == both
    assert await _filter(portal, after="2025-03-14T09:31") == [new]
    assert await _filter(portal, after="", before="2025-03-14T09:31") == [old]
    assert await _filter(portal, before="2025-03-14T09:30") == []
    assert await portal.page.inner_text("td.empty") == "No entries."


async def test_paging_keeps_the_filters(
    portal: Portal, make_member: MakeMember, api: httpx.AsyncClient
) -> None:
    member = await make_member()
    _, token = await make_api_key(portal.server, member, "sync")
    await _load_units(portal.server, member, 53)
    assert (
        await api.post(
            "/multifamily_properties", json=property_body(member.account_id), headers=bearer(token)
        )
    ).status_code == 200
    await portal.signed_in_as(member)
    await portal.goto("/portal/audit?table=units")
    first = await _rows(portal)
    assert len(first) == 50
    assert await portal.page.locator("a[rel=prev]").count() == 0

    await portal.page.click("a[rel=next]")
    await portal.page.wait_for_load_state()
    assert parse_qs(urlsplit(portal.page.url).query) == {"table": ["units"], "page": ["2"]}
    second = await _rows(portal)
    assert len(second) == 3
    assert {r["table"] for r in first + second} == {"units"}
    ids = [int(r["id"]) for r in first + second]
    assert ids == sorted(set(ids))  # oldest first, nothing shown twice
    assert await portal.page.locator("a[rel=next]").count() == 0

    await portal.page.click("a[rel=prev]")
    await portal.page.wait_for_load_state()
    assert await _rows(portal) == first


BAD_FILTERS: list[tuple[dict[str, Any], str]] = [
    ({"after": "yesterday"}, "Created after must be a date and time"),
    ({"before": "2026-02-30T10:00"}, "Created before must be a date and time"),
    ({"after": "2026-01-01T10:00Z"}, "Created after must be a date and time"),
    ({"after": "2026-01-02T00:00", "before": "2026-01-01T00:00"}, "must be earlier than"),
    ({"api_key": "not-a-key"}, "Choose one of your API keys"),
    ({"api_key": "00000000-0000-0000-0000-000000000000"}, "Choose one of your API keys"),
    ({"table": "x" * 65}, "at most 64 characters"),
    ({"page": "0"}, "Page must be a whole number"),
    ({"page": "two"}, "Page must be a whole number"),
    ({"page": "99999999999999999999"}, "Page must be a whole number"),
]


async def test_bad_filters_show_the_page_with_a_message(portal: Portal, make_member: MakeMember) -> None:
    member = await make_member()
    await _load_units(portal.server, member, 1)
    await portal.signed_in_as(member)
    for params, message in BAD_FILTERS:
        response = await portal.goto(f"/portal/audit?{urlencode(params)}")
        assert response.status == 400, params
        assert message in await portal.alert(), params
        assert await _rows(portal) == []
        for name in ("after", "before"):  # what was typed is shown back, to be corrected
            if name in params:
                assert await portal.page.get_attribute(f"input[name={name}]", "value") == params[name]


async def test_a_user_sees_only_the_entries_of_its_own_accounts(
    portal: Portal, make_member: MakeMember, api: httpx.AsyncClient
) -> None:
    mine, theirs = await make_member("a"), await make_member("b")
    _, my_token = await make_api_key(portal.server, mine, "mine")
    their_key, their_token = await make_api_key(portal.server, theirs, "theirs")
    my_record, _ = await _write_properties(api, mine, my_token, my_token)
    their_record, _ = await _write_properties(api, theirs, their_token, their_token)
    await _load_units(portal.server, theirs, 1)

    await portal.signed_in_as(mine)
    await portal.goto("/portal/audit")
    rows = await _rows(portal)
    assert len(rows) == 3
    assert my_record in {r["record"] for r in rows}
    assert their_record not in await portal.page.content()
    assert "units" not in await portal.page.locator("select[name=table]").inner_text()
    assert "theirs" not in await portal.page.locator("select[name=api_key]").inner_text()
    response = await portal.goto(f"/portal/audit?api_key={their_key}")
    assert response.status == 400
    assert their_record not in await portal.page.content()
