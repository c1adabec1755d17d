"""Wire models of rental application groups: the list query and the record's documented shape."""

import uuid
from typing import Literal

from pydantic import BaseModel, Field

from rentengine.validation import DateTime, PageQuery

GroupStatus = Literal["In Progress", "Submitted", "Approved", "Rejected", "Withdrawn"]


class GroupQuery(PageQuery):
    created_after: DateTime | None = Field(None, description="`created_at` >= this instant")
    created_before: DateTime | None = Field(None, description="`created_at` < this instant")


class GroupOut(BaseModel):
    id: int
    account_id: uuid.UUID
    unit_id: int
    lead_prospect_id: int | None
    status: GroupStatus
    submitted_at: str | None
    created_at: str
    updated_at: str
