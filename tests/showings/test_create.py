"""POST /showings/create as a client books: what it writes, validation, prescreening, agent tokens,
rescheduling and tenancy; every refusal writes nothing."""

from typing import Any

import httpx
import pytest

from rentengine.runtime import Runtime
from rentengine.showings.models import Showing
from tests.factories import Tenant, make_prospect_row
from tests.showings.helpers import (
    CREATE,
    Clock,
    Written,
    availability,
    book,
    book_body,
    booked,
    create_unit,
    events_of,
    issue_agent_token,
    prospects_of,
    revoke_agent_token,
    showings_of,
    starts,
    written,
)

SLOT = "2031-03-06T16:00:00.000000Z"  # Thursday 10:00 CST
NEXT_SLOT = "2031-03-06T16:30:00.000000Z"
NOTHING = Written(0, 0, 0, 0)


async def prospects(client: httpx.AsyncClient, tenant: Tenant) -> list[dict[str, Any]]:
    response = await client.get("/prospects", headers=tenant.headers)
    assert response.status_code == 200
    rows: list[dict[str, Any]] = response.json()
    return rows


async def test_a_booking_writes_the_prospect_the_showing_and_the_event(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock
) -> None:
    unit = await create_unit(client, tenant)
    await booked(client, tenant, unit["id"], SLOT, desiredShowingMethod="Self Guided")
    [prospect] = await prospects(client, tenant)
    assert prospect == {
        "id": prospect["id"],
        "name": "Jane Doe",
        "email": "jane.doe@example.com",
        "phone": "5551234567",
        "status": "Showing Scheduled",
        "source": "API",
        "prospect_type": "Self",
        "unit_of_interest": unit["id"],
        "notes": None,
        "created_at": "2031-03-05T12:00:00.000000Z",
        "updated_at": "2031-03-05T12:00:00.000000Z",
    }
    [showing] = await showings_of(runtime, unit["id"])
    assert (showing.prospect_id, showing.status, showing.showing_method) == (
        prospect["id"],
        "Scheduled",
        "Self Guided",
    )
    [event] = await events_of(client, tenant, prospect["id"])
    assert event == {
        "id": event["id"],
        "prospect": prospect["id"],
        "event_type": "Showing Scheduled",
        "source": None,
        "notes": None,
        "context": {"showing_id": showing.id, "unit_id": unit["id"], "showing_method": "Self Guided"},
        "planned_date_time": SLOT,
        "created_at": "2031-03-05T12:00:00.000000Z",
        "next_follow_up": None,
        "created_by": str(tenant.user_id),
    }
    assert await written(runtime, tenant.account_id) == Written(1, 1, 1, 3)


async def test_the_planned_time_may_carry_any_offset(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock
) -> None:
    unit = await create_unit(client, tenant)
    await booked(client, tenant, unit["id"], "2031-03-06T10:00:00-06:00")
    [showing] = await showings_of(runtime, unit["id"])
    assert showing.planned_date_time.isoformat() == "2031-03-06T16:00:00+00:00"


async def test_booking_again_updates_the_same_prospect_by_email_or_phone(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock
) -> None:
    unit = await create_unit(client, tenant)
    await booked(client, tenant, unit["id"], SLOT)
    clock.advance(minutes=5)
    # Same email (in another case), a new phone number and name.
    await booked(
        client,
        tenant,
        unit["id"],
        NEXT_SLOT,
        prospect={"email": "JANE.DOE@example.com", "phone": "5550000000", "lastName": "Smith"},
    )
    # Same phone, another email.
    await booked(
        client,
        tenant,
        unit["id"],
        "2031-03-06T17:00:00.000000Z",
        prospect={"email": "j@example.org", "phone": "5550000000"},
    )
    [prospect] = await prospects(client, tenant)
    assert (prospect["name"], prospect["email"], prospect["phone"]) == (
        "Jane Doe",
        "j@example.org",
        "5550000000",
    )
    assert prospect["created_at"] == "2031-03-05T12:00:00.000000Z"
    assert prospect["updated_at"] == "2031-03-05T12:05:00.000000Z"
    assert len(await showings_of(runtime, unit["id"])) == 3
    assert len(await events_of(client, tenant, prospect["id"])) == 3
    # Another unit: another prospect (a prospect is one person interested in one unit).
    other = await create_unit(client, tenant)
    await booked(client, tenant, other["id"], SLOT)
    assert len(await prospects(client, tenant)) == 2


async def test_an_existing_prospect_keeps_its_source(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock
) -> None:

    unit = await create_unit(client, tenant)
    prospect_id = await make_prospect_row(
        runtime, tenant.account_id, unit["id"], email="jane.doe@example.com", source="Zillow"
    )
    await booked(client, tenant, unit["id"], SLOT)
    [prospect] = await prospects(client, tenant)
    assert (prospect["id"], prospect["source"], prospect["status"]) == (
        prospect_id,
        "Zillow",
        "Showing Scheduled",
    )


# --- validation ----------------------------------------------------------------------------------


def _without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    target = body
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return body


@pytest.mark.parametrize(
    ("change", "keyword", "pointer"),
    [
        (lambda b: _without(b, "unitId"), "required", ""),
        (lambda b: _without(b, "plannedForTime"), "required", ""),
        (lambda b: _without(b, "prospectData"), "required", ""),
        (lambda b: _without(b, "prospectData", "firstName"), "required", "/prospectData"),
        (lambda b: _without(b, "prospectData", "questionAnswers"), "required", "/prospectData"),
        (lambda b: _without(b, "prospectData", "prospectType"), "required", "/prospectData"),
        (lambda b: {**b, "unitId": "1"}, "type", "/unitId"),
        (lambda b: {**b, "plannedForTime": "2031-03-06"}, "format", "/plannedForTime"),
        (lambda b: {**b, "plannedForTime": "2031-03-06T16:00:00"}, "format", "/plannedForTime"),
        (lambda b: {**b, "desiredShowingMethod": "Drive-by"}, "enum", "/desiredShowingMethod"),
        (lambda b: {**b, "rescheduleEvent": "7"}, "type", "/rescheduleEvent"),
        (lambda b: {**b, "extra": 1}, "additionalProperties", ""),
        (
            lambda b: {**b, "prospectData": {**b["prospectData"], "phone": "555-123-4567"}},
            "pattern",
            "/prospectData/phone",
        ),
        (
            lambda b: {**b, "prospectData": {**b["prospectData"], "phone": "٥٥٥١٢٣٤٥٦٧"}},
            "pattern",
            "/prospectData/phone",
        ),
        (
            lambda b: {**b, "prospectData": {**b["prospectData"], "email": "jane"}},
            "format",
            "/prospectData/email",
        ),
        (
            lambda b: {**b, "prospectData": {**b["prospectData"], "firstName": ""}},
            "minLength",
            "/prospectData/firstName",
        ),
        (
            lambda b: {**b, "prospectData": {**b["prospectData"], "creditScore": "good"}},
            "pattern",
            "/prospectData/creditScore",
        ),
        (
            lambda b: {**b, "prospectData": {**b["prospectData"], "creditScore": "699-650"}},
            "range",
            "/prospectData/creditScore",
        ),
        (
            lambda b: {**b, "prospectData": {**b["prospectData"], "income": "5000"}},
            "pattern",
            "/prospectData/income",
        ),
        (
            lambda b: {**b, "prospectData": {**b["prospectData"], "prospectType": "Owner"}},
            "enum",
            "/prospectData/prospectType",
        ),
        (
            lambda b: {**b, "prospectData": {**b["prospectData"], "prospectType": "Agent"}},
            "required",
            "/prospectData",
        ),
        (
            lambda b: {**b, "prospectData": {**b["prospectData"], "agentTk": "abc"}},
            "pattern",
            "/prospectData/agentTk",
        ),
        (
            lambda b: {**b, "prospectData": {**b["prospectData"], "nickname": "J"}},
            "additionalProperties",
            "/prospectData",
        ),
        (
            lambda b: {
                **b,
                "prospectData": {**b["prospectData"], "questionAnswers": [{"question": "Pets?"}]},
            },
            "required",
            "/prospectData/questionAnswers/0",
        ),
        (
            lambda b: {**b, "prospectData": {**b["prospectData"], "lastName": "Doe\u0000"}},
            "pattern",
            "/prospectData/lastName",
        ),
    ],
)
async def test_every_field_is_validated_and_nothing_is_written(
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: Tenant,
    clock: Clock,
    change: Any,
    keyword: str,
    pointer: str,
) -> None:
    unit = await create_unit(client, tenant)
    response = await client.post(CREATE, json=change(book_body(unit["id"], SLOT)), headers=tenant.headers)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "Invalid request parameters"
    assert any(d["keyword"] == keyword and d["instancePath"] == pointer for d in body["details"]), body
    assert await written(runtime, tenant.account_id) == NOTHING


async def test_a_body_that_is_not_an_object_is_refused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    not_objects: list[Any] = [[], "x", None, 3]
    for body in not_objects:
        response = await client.post(CREATE, json=body, headers=tenant.headers)
        assert response.status_code == 400, body
    response = await client.post(
        CREATE, content=b"{", headers={**tenant.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert (await client.post(CREATE, json=book_body(1, SLOT))).status_code == 401


@pytest.mark.parametrize(
    "planned",
    [
        "2031-03-05T12:30:00.000000Z",  # in the past hour: 06:30 CST, before opening and too soon
        "2031-03-06T14:30:00.000000Z",  # 08:30 CST, before opening
        "2031-03-07T00:00:00.000000Z",  # 18:00 CST: closed (17:30 is the last slot)
        "2031-03-06T16:15:00.000000Z",  # off the half-hour grid
        "2031-03-06T16:00:00.000001Z",
        "2031-03-20T16:00:00.000000Z",  # beyond 14 days
        "2030-03-06T16:00:00.000000Z",
    ],
)
async def test_the_time_must_be_the_start_of_an_available_window(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock, planned: str
) -> None:
    unit = await create_unit(client, tenant)
    response = await book(client, tenant, unit["id"], planned)
    assert response.status_code == 400
    [item] = response.json()["details"]
    assert (item["keyword"], item["instancePath"]) == ("availability", "/plannedForTime")
    assert await written(runtime, tenant.account_id) == NOTHING


async def test_the_first_window_one_hour_ahead_can_be_booked(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock
) -> None:
    unit = await create_unit(client, tenant)
    clock.now = clock.now.replace(hour=15)  # 09:00 CST: 10:00 is the first window
    first = starts((await availability(client, tenant, unit["id"]))["availableShowingWindows"])[0]
    assert first == "2031-03-05T16:00:00.000000Z"
    assert (await book(client, tenant, unit["id"], "2031-03-05T15:30:00.000000Z")).status_code == 400
    await booked(client, tenant, unit["id"], first)


async def test_a_taken_slot_cannot_be_booked_twice(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock
) -> None:
    unit = await create_unit(client, tenant)
    await booked(client, tenant, unit["id"], SLOT)
    before = await written(runtime, tenant.account_id)
    again = await book(
        client, tenant, unit["id"], SLOT, prospect={"email": "sam@example.com", "phone": "5559990000"}
    )
    assert again.status_code == 400
    assert again.json()["details"][0]["keyword"] == "availability"
    assert await written(runtime, tenant.account_id) == before


@pytest.mark.parametrize("fields", [{"status": "On Hold"}, {"showing_method": None}, {"status": "Leased"}])
async def test_a_unit_that_is_not_shown_cannot_be_booked(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock, fields: dict[str, Any]
) -> None:
    unit = await create_unit(client, tenant, **fields)
    response = await book(client, tenant, unit["id"], SLOT)
    assert response.status_code == 400
    assert await written(runtime, tenant.account_id) == NOTHING


async def test_the_desired_method_must_be_the_units(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock
) -> None:
    unit = await create_unit(client, tenant, showing_method="Remote Guided")
    response = await book(client, tenant, unit["id"], SLOT, desiredShowingMethod="Self Guided")
    assert response.status_code == 400
    [item] = response.json()["details"]
    assert item["instancePath"] == "/desiredShowingMethod"
    assert item["params"] == {"allowedValues": ["Remote Guided"]}
    assert await written(runtime, tenant.account_id) == NOTHING
    await booked(client, tenant, unit["id"], SLOT, desiredShowingMethod="Remote Guided")
    [showing] = await showings_of(runtime, unit["id"])
    assert showing.showing_method == "Remote Guided"


# --- prescreening --------------------------------------------------------------------------------

STRICT_RULES = {"min_credit_score_band": "650-699", "min_income_to_rent_ratio": 3}
VOUCHER_YES = {"question": "Housing voucher?", "answer": "Yes", "fixedQuestionType": "housing_voucher"}


async def strict_unit(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    """Rent 2450, credit 650 or more, income three times the rent (7350), no vouchers."""
    return await create_unit(client, tenant, prescreen_rules=STRICT_RULES, accepts_vouchers=False)


@pytest.mark.parametrize(
    ("prospect", "failed"),
    [
        ({"creditScore": "600-649"}, ["/prospectData/creditScore"]),
        ({"creditScore": "Below 600"}, ["/prospectData/creditScore"]),
        ({"income": "$7000-$8000/month"}, ["/prospectData/income"]),
        (
            {"questionAnswers": [{"question": "Pets?", "answer": "No"}, VOUCHER_YES]},
            ["/prospectData/questionAnswers/1/answer"],
        ),
        (
            {"creditScore": "600-649", "income": "$3000+/month", "questionAnswers": [VOUCHER_YES]},
            ["/prospectData/creditScore", "/prospectData/income", "/prospectData/questionAnswers/0/answer"],
        ),
    ],
)
async def test_each_failed_rule_is_one_detail_and_nothing_is_written(
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: Tenant,
    clock: Clock,
    prospect: Any,
    failed: list[str],
) -> None:
    unit = await strict_unit(client, tenant)
    response = await book(client, tenant, unit["id"], SLOT, prospect=prospect)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Prescreen failed"
    assert [d["instancePath"] for d in body["details"]] == failed
    assert all(d["keyword"] == "prescreen" for d in body["details"])
    assert await written(runtime, tenant.account_id) == NOTHING


async def test_the_documented_detail_shapes(client: httpx.AsyncClient, tenant: Tenant, clock: Clock) -> None:
    unit = await strict_unit(client, tenant)
    prospect = {"creditScore": "600-649", "income": "$5000-$6000/month", "questionAnswers": [VOUCHER_YES]}
    response = await book(client, tenant, unit["id"], SLOT, prospect=prospect)
    assert response.json()["details"] == [
        {
            "keyword": "prescreen",
            "instancePath": "/prospectData/creditScore",
            "dataPath": "/prospectData/creditScore",
            "schemaPath": "#/prescreen/min_credit_score_band",
            "params": {"required": "650-699", "actual": "600-649"},
            "message": "credit score below the unit's minimum",
        },
        {
            "keyword": "prescreen",
            "instancePath": "/prospectData/income",
            "dataPath": "/prospectData/income",
            "schemaPath": "#/prescreen/min_income_to_rent_ratio",
            "params": {"required": "$7350+/month", "actual": "$5000-$6000/month"},
            "message": "income below 3 times the unit's rent",
        },
        {
            "keyword": "prescreen",
            "instancePath": "/prospectData/questionAnswers/0/answer",
            "dataPath": "/prospectData/questionAnswers/0/answer",
            "schemaPath": "#/prescreen/accepts_vouchers",
            "params": {"required": "No", "actual": "Yes"},
            "message": "the unit does not accept housing vouchers",
        },
    ]


async def test_passing_prospects_and_null_rules_pass(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock
) -> None:
    strict = await strict_unit(client, tenant)
    exactly = {
        "creditScore": "650-699",
        "income": "$7350+/month",
        "questionAnswers": [{**VOUCHER_YES, "answer": "No"}],
    }
    await booked(client, tenant, strict["id"], SLOT, prospect=exactly)
    lax = await create_unit(
        client,
        tenant,
        prescreen_rules={"min_credit_score_band": None, "min_income_to_rent_ratio": None},
        accepts_vouchers=None,
    )
    weak = {"creditScore": "Below 500", "income": "$0-$100/month", "questionAnswers": [VOUCHER_YES]}
    await booked(client, tenant, lax["id"], SLOT, prospect=weak)
    unruled = await create_unit(client, tenant)
    await booked(client, tenant, unruled["id"], SLOT, prospect=weak)
    assert await written(runtime, tenant.account_id) == Written(3, 3, 3, 9)


# --- agents --------------------------------------------------------------------------------------


async def test_an_agent_with_a_valid_token_skips_the_prescreen(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock
) -> None:
    unit = await strict_unit(client, tenant)
    _token_id, code = await issue_agent_token(runtime, tenant.account_id)
    agent = {
        "prospectType": "Agent",
        "agentTk": code,
        "creditScore": "Below 500",
        "questionAnswers": [VOUCHER_YES],
    }
    await booked(client, tenant, unit["id"], SLOT, prospect=agent)
    [prospect] = await prospects(client, tenant)
    assert prospect["prospect_type"] == "Agent"


async def test_agent_tokens_that_do_not_admit(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock
) -> None:
    stranger = await clock.tenant(runtime)
    unit = await create_unit(client, tenant)
    revoked_id, revoked = await issue_agent_token(runtime, tenant.account_id)
    await revoke_agent_token(runtime, tenant.account_id, revoked_id)
    _id, theirs = await issue_agent_token(runtime, stranger.account_id)
    _id, ours = await issue_agent_token(runtime, tenant.account_id)
    unknown = "ZZZZZZ" if ours != "ZZZZZZ" else "YYYYYY"
    for code in (revoked, theirs, unknown):
        response = await book(
            client, tenant, unit["id"], SLOT, prospect={"prospectType": "Agent", "agentTk": code}
        )
        assert response.status_code == 400, code
        [item] = response.json()["details"]
        assert (item["keyword"], item["instancePath"]) == ("agentToken", "/prospectData/agentTk")
    for malformed in ("abc123", "ABC12", "ABC1234", 123456):
        response = await book(
            client, tenant, unit["id"], SLOT, prospect={"prospectType": "Agent", "agentTk": malformed}
        )
        assert response.status_code == 400, malformed
    assert await written(runtime, tenant.account_id) == NOTHING
    await booked(client, tenant, unit["id"], SLOT, prospect={"prospectType": "Agent", "agentTk": ours})


# --- rescheduling --------------------------------------------------------------------------------


async def test_a_reschedule_moves_the_showing_and_frees_its_slot(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock
) -> None:
    unit = await create_unit(client, tenant)
    await booked(client, tenant, unit["id"], SLOT)
    [showing] = await showings_of(runtime, unit["id"])
    clock.advance(minutes=10)
    await booked(client, tenant, unit["id"], NEXT_SLOT, rescheduleEvent=showing.id)
    [moved] = await showings_of(runtime, unit["id"])
    assert moved.id == showing.id
    assert moved.planned_date_time.isoformat() == "2031-03-06T16:30:00+00:00"
    assert moved.created_at == showing.created_at
    assert moved.updated_at > showing.updated_at
    windows = starts((await availability(client, tenant, unit["id"]))["availableShowingWindows"])
    assert SLOT in windows
    assert NEXT_SLOT not in windows
    [prospect] = await prospects(client, tenant)
    _first, second = await events_of(client, tenant, prospect["id"])
    assert second["planned_date_time"] == NEXT_SLOT
    assert second["context"] == {
        "showing_id": showing.id,
        "unit_id": unit["id"],
        "showing_method": "Self Guided",
        "rescheduled_from": SLOT,
    }
    # The showing's own slot counts as free for its move: it can go back, or stay where it is.
    await booked(client, tenant, unit["id"], NEXT_SLOT, rescheduleEvent=showing.id)
    assert await written(runtime, tenant.account_id) == Written(1, 1, 3, 1 + 1 + 3 + 2)


async def test_what_cannot_be_rescheduled(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock
) -> None:
    stranger = await clock.tenant(runtime)
    unit = await create_unit(client, tenant)
    other = await create_unit(client, tenant)
    theirs = await create_unit(client, stranger)
    await booked(client, tenant, other["id"], SLOT)
    await booked(client, stranger, theirs["id"], SLOT)
    [other_showing] = await showings_of(runtime, other["id"])
    [their_showing] = await showings_of(runtime, theirs["id"])
    before = await written(runtime, tenant.account_id)
    for missing in (their_showing.id, 2**31 - 1, 2**40, 0):
        response = await book(client, tenant, unit["id"], NEXT_SLOT, rescheduleEvent=missing)
        assert response.status_code == 404, missing
        assert response.json() == {"error": "Not found"}
    wrong_unit = await book(client, tenant, unit["id"], NEXT_SLOT, rescheduleEvent=other_showing.id)
    assert wrong_unit.status_code == 400
    assert wrong_unit.json()["details"][0]["instancePath"] == "/rescheduleEvent"
    assert await written(runtime, tenant.account_id) == before


async def test_only_a_scheduled_showing_moves(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock
) -> None:
    unit = await create_unit(client, tenant)
    await booked(client, tenant, unit["id"], SLOT)
    [showing] = await showings_of(runtime, unit["id"])
    async with runtime.db.transaction() as session:
        row = await session.get(Showing, showing.id)
        assert row is not None
        row.status = "Canceled"
    before = await written(runtime, tenant.account_id)
    response = await book(client, tenant, unit["id"], NEXT_SLOT, rescheduleEvent=showing.id)
    assert response.status_code == 400
    [item] = response.json()["details"]
    assert item["params"] == {"status": "Canceled", "allowedValues": ["Scheduled"]}
    assert await written(runtime, tenant.account_id) == before
    # A canceled showing no longer holds its slot.
    await booked(client, tenant, unit["id"], SLOT)


# --- tenancy -------------------------------------------------------------------------------------


async def test_another_accounts_unit_is_not_found_before_any_other_check(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, clock: Clock
) -> None:
    stranger = await clock.tenant(runtime)
    theirs = await strict_unit(client, stranger)
    failing = {"creditScore": "Below 500"}
    for unit_id in (theirs["id"], 2**31 - 1, 2**40, 0):
        response = await book(client, tenant, unit_id, SLOT, prospect=failing)
        assert response.status_code == 404, unit_id
        assert response.json() == {"error": "Not found"}
    assert await written(runtime, stranger.account_id) == NOTHING
    assert await written(runtime, tenant.account_id) == NOTHING


async def test_a_unit_of_the_callers_second_account(
    client: httpx.AsyncClient, runtime: Runtime, clock: Clock
) -> None:
    tenant = await clock.tenant(runtime, accounts=2)
    [second] = tenant.other_account_ids
    unit = await create_unit(client, tenant, account=second)
    await booked(client, tenant, unit["id"], SLOT)
    assert await written(runtime, second) == Written(1, 1, 1, 3)
    [prospect] = await prospects_of(runtime, unit["id"])
    assert prospect.account_id == second


async def test_the_audit_log_names_the_key_and_the_request(
    client: httpx.AsyncClient, tenant: Tenant, clock: Clock
) -> None:
    unit = await create_unit(client, tenant)
    await booked(client, tenant, unit["id"], SLOT)
    for table in ("prospects", "showings", "leasing_events"):
        response = await client.get("/audit_log", params={"table": table}, headers=tenant.headers)
        [entry] = response.json()
        assert entry["action"] == "INSERT", table
        assert entry["api_key_id"] == str(tenant.key_id)
        assert (entry["request_method"], entry["request_path"]) == ("POST", "/api/public/v1/showings/create")
