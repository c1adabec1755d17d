"""Who may see and change what: the account rules every service applies (API.md §3).

- A body or filter naming an account the caller cannot access → 403.
- A referenced record that does not exist or lives in such an account → 404; the two cannot be told
  apart.
- The account a record belongs to never changes through an update.
"""

import uuid
from collections.abc import Iterable
from typing import Protocol, TypeVar

from rentengine.auth.service import Principal
from rentengine.errors import ApiError, Forbidden, NotFound
from rentengine.validation import rule_error


class Caller(Protocol):
    """Whoever acts: an API principal or a portal user (their accounts), the CLI's operator (all)."""

    def can_access(self, account_id: uuid.UUID) -> bool: ...


class Owned(Protocol):
    """A row that belongs to one account."""

    @property
    def account_id(self) -> uuid.UUID: ...


OwnedRow = TypeVar("OwnedRow", bound=Owned)


class Operator:
    """The CLI's caller: the person running the server may act on every account."""

    def can_access(self, account_id: uuid.UUID) -> bool:
        return True


def require_account(caller: Caller, account_id: uuid.UUID) -> None:
    """403 unless the caller may act on the account."""
    if not caller.can_access(account_id):
        raise Forbidden()


def visible_accounts(principal: Principal, requested: uuid.UUID | None) -> Iterable[uuid.UUID]:
    """The accounts a list covers: the one asked for (403 when not the caller's), else all of them."""
    if requested is None:
        return principal.account_ids
    require_account(principal, requested)
    return (requested,)


def visible(caller: Caller, row: OwnedRow | None) -> OwnedRow:
    """The row, or 404 when it does not exist or lives in an account the caller cannot access."""
    if row is None or not caller.can_access(row.account_id):
        raise NotFound()
    return row


def same_account(noun: str, current: uuid.UUID, sent: uuid.UUID | None) -> None:
    """400 when an update names another account than the record's own (`sent` None: not sent)."""
    if sent is not None and sent != current:
        raise immutable_account(noun, current)


def immutable_account(noun: str, current: uuid.UUID) -> ApiError:
    return rule_error(
        "/account_id",
        "const",
        f"must be equal to the {noun}'s current account",
        {"allowedValue": str(current)},
    )
