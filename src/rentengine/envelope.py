"""The `env` list shape: `{data, page}` with `has_more`, read as one row past the page."""

from collections.abc import Sequence
from typing import Any, Generic, TypeVar, TypeVarTuple

from pydantic import BaseModel
from sqlalchemy import Select

from rentengine.validation import PageQuery

Item = TypeVar("Item")
Row = TypeVar("Row")
Columns = TypeVarTuple("Columns")


class PageInfo(BaseModel):
    limit: int
    page_number: int
    has_more: bool
    next_page_number: int | None


class Envelope(BaseModel, Generic[Item]):
    """The response model of an `env` list (documents the shape; the body is built by `envelope`)."""

    data: list[Item]
    page: PageInfo


def one_past_the_page(stmt: Select[*Columns], query: PageQuery) -> Select[*Columns]:
    """The page's rows plus one more, which only tells whether another page follows."""
    return stmt.limit(query.limit + 1).offset(query.offset)


def envelope(rows: Sequence[Row], query: PageQuery, to_wire: Any) -> dict[str, Any]:
    """`rows` read with `one_past_the_page`; `to_wire` turns each kept row into its record."""
    has_more = len(rows) > query.limit
    return {
        "data": [to_wire(row) for row in rows[: query.limit]],
        "page": {
            "limit": query.limit,
            "page_number": query.page_number,
            "has_more": has_more,
            "next_page_number": query.page_number + 1 if has_more else None,
        },
    }
