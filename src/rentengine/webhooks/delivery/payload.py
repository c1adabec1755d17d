"""The webhook body: exactly `{type, table, record, old_record}`, serialised once."""

from rentengine.changes.types import Change
from rentengine.kit.jsonutil import dumps


def payload_of(change: Change) -> str:
    """The body sent for a change; record/old_record are the GET representations (null where absent)."""
    body = {
        "type": change.type.value,
        "table": change.table,
        "record": change.record,
        "old_record": change.old_record,
    }
    return dumps(body).decode()
