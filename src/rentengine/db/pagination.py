"""Page-number pagination over a stable order."""

from typing import Any, TypeVar

from sqlalchemy import Select

from rentengine.validation import PageQuery

S = TypeVar("S", bound=Select[Any])


def page_of(stmt: S, page: PageQuery) -> S:
    return stmt.limit(page.limit).offset(page.offset)
