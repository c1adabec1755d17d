"""The OpenAPI examples are valid requests and responses of the real schemas."""

from typing import Any

import pytest
from pydantic import BaseModel

from rentengine.lockboxes import examples as ex
from rentengine.lockboxes.schemas import (
    GenerateCode,
    GeneratedCodeOut,
    LockboxCreate,
    LockboxEventBatch,
    LockboxEventOut,
    LockboxOut,
    LockboxTransfer,
)


@pytest.mark.parametrize(
    ("model", "value"),
    [
        (LockboxCreate, ex.CREATE_BODY),
        (LockboxTransfer, ex.TRANSFER_BODY),
        (GenerateCode, ex.GENERATE_BY_SERIAL),
        (GenerateCode, ex.GENERATE_BY_UNIT),
        (LockboxEventBatch, ex.EVENTS_BODY),
        (GeneratedCodeOut, ex.GENERATED),
    ],
)
def test_request_examples_validate(model: type[BaseModel], value: dict[str, Any]) -> None:
    model.model_validate(value)


@pytest.mark.parametrize(
    ("item", "value"),
    [
        (LockboxOut, [ex.LOCKBOX]),
        (LockboxOut, ex.CREATED),
        (LockboxOut, ex.TRANSFERRED),
        (LockboxEventOut, [ex.EVENT]),
    ],
)
def test_response_examples_validate(item: type[BaseModel], value: list[dict[str, Any]]) -> None:
    rows = [item.model_validate(row) for row in value]
    assert [row.model_fields_set for row in rows] == [set(item.model_fields)] * len(value)
