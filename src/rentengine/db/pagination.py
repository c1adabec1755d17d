"""Page-number pagination over a stable order."""

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import QueryableAttribute

from rentengine.validation import PageQuery

S = TypeVar("S", bound=Select[Any])


def page_of(stmt: S, page: PageQuery) -> S:
    return stmt.limit(page.limit).offset(page.offset)


def page_by_position(
    stmt: S,
    position: ColumnElement[int] | QueryableAttribute[int],
    before: ColumnElement[int] | int,
    page: PageQuery,
) -> S:
    """The page of rows numbered `before` + 1, + 2, … by a gapless `position`: an index range that
    costs the same on every page, where OFFSET reads and discards every row before the page."""
    return stmt.where(position > before + page.offset).order_by(position).limit(page.limit)
