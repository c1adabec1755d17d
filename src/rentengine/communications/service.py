"""Calls and messages: recording activity that happened elsewhere, linked to the account's prospects."""

import re
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth.access import require_account
from rentengine.auth.repository import account_ids_of
from rentengine.auth.service import Principal
from rentengine.changes.recorded import recorded_create
from rentengine.changes.types import Actor, Record
from rentengine.communications import repository
from rentengine.communications.models import Call, Message
from rentengine.communications.schemas import PHONE_PATTERN, ActivityQuery, CallCreate, MessageCreate
from rentengine.envelope import envelope
from rentengine.errors import NotFound
from rentengine.kit.clock import isoformat_z, utc_now
from rentengine.validation import rule_error

CALLS = "calls"
MESSAGES = "messages"
_PHONE = re.compile(PHONE_PATTERN)


def call_to_wire(call: Call) -> Record:
    """The GET representation of a call, which is also its audit and webhook record."""
    return {
        "id": call.id,
        "account_id": str(call.account_id),
        "prospect_id": call.prospect_id,
        "direction": call.direction,
        "contact_number": call.contact_number,
        "status": call.status,
        "call_duration": call.call_duration,
        "user_id": None if call.user_id is None else str(call.user_id),
        "created_at": isoformat_z(call.created_at),
    }


def message_to_wire(message: Message) -> Record:
    """The GET representation of a message, which is also its audit and webhook record."""
    return {
        "id": message.id,
        "account_id": str(message.account_id),
        "prospect_id": message.prospect_id,
        "direction": message.direction,
        "channel": message.channel,
        "contact": message.contact,
        "body": message.body,
        "user_id": None if message.user_id is None else str(message.user_id),
        "created_at": isoformat_z(message.created_at),
    }


def _require_accounts(principal: Principal, query: ActivityQuery) -> None:
    for account_id in query.account_ids:
        require_account(principal, account_id)


async def list_calls(session: AsyncSession, principal: Principal, query: ActivityQuery) -> dict[str, Any]:
    """One `env` page of the calls of the given accounts with a prospect or a phone number."""
    _require_accounts(principal, query)
    rows = await repository.list_activity(session, Call, Call.contact_number, query)
    return envelope(rows, query, call_to_wire)


async def list_messages(session: AsyncSession, principal: Principal, query: ActivityQuery) -> dict[str, Any]:
    """One `env` page of the messages of the given accounts with a prospect or a contact."""
    _require_accounts(principal, query)
    rows = await repository.list_activity(session, Message, Message.contact, query)
    return envelope(rows, query, message_to_wire)


async def record_call(session: AsyncSession, principal: Principal, actor: Actor, body: CallCreate) -> Record:
    """Records a call and links it to a prospect: the one sent, else the latest with its number."""
    require_account(principal, body.account_id)
    prospect_id = body.prospect_id
    if prospect_id is None:
        prospect_id = await repository.latest_prospect_by_phone(session, body.account_id, body.contact_number)
    else:
        await _require_prospect(session, body.account_id, prospect_id)
    await _require_member(session, body.account_id, body.user_id)
    call = Call(
        account_id=body.account_id,
        prospect_id=prospect_id,
        direction=body.direction,
        contact_number=body.contact_number,
        status=body.status,
        call_duration=body.call_duration,
        user_id=body.user_id,
        created_at=body.created_at or utc_now(),
    )
    session.add(call)
    return await recorded_create(session, actor, CALLS, call, lambda: call_to_wire(call))


async def record_message(
    session: AsyncSession, principal: Principal, actor: Actor, body: MessageCreate
) -> Record:
    """Records a message and links it to a prospect: the one sent, else the latest with its contact."""
    require_account(principal, body.account_id)
    prospect_id = body.prospect_id
    if prospect_id is None:
        prospect_id = await _latest_prospect_by_contact(session, body.account_id, body.contact)
    else:
        await _require_prospect(session, body.account_id, prospect_id)
    await _require_member(session, body.account_id, body.user_id)
    message = Message(
        account_id=body.account_id,
        prospect_id=prospect_id,
        direction=body.direction,
        channel=body.channel,
        contact=body.contact,
        body=body.body,
        user_id=body.user_id,
        created_at=body.created_at or utc_now(),
    )
    session.add(message)
    return await recorded_create(session, actor, MESSAGES, message, lambda: message_to_wire(message))


async def _latest_prospect_by_contact(
    session: AsyncSession, account_id: uuid.UUID, contact: str
) -> int | None:
    """A contact is a phone number (10 digits) or an email address; anything else links no one."""
    if _PHONE.match(contact):
        return await repository.latest_prospect_by_phone(session, account_id, contact)
    if "@" in contact:
        return await repository.latest_prospect_by_email(session, account_id, contact.strip())
    return None


async def _require_prospect(session: AsyncSession, account_id: uuid.UUID, prospect_id: int) -> None:
    """404 unless the prospect exists in the body's own account (another account's is never linked)."""
    prospect = await repository.get_prospect(session, prospect_id)
    if prospect is None or prospect.account_id != account_id:
        raise NotFound()


async def _require_member(session: AsyncSession, account_id: uuid.UUID, user_id: uuid.UUID | None) -> None:
    if user_id is not None and account_id not in await account_ids_of(session, user_id):
        raise rule_error(
            "/user_id",
            "membership",
            "must be a member of the account",
            {"account_id": str(account_id)},
        )
