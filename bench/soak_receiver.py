"""The soak run's webhook receiver: `bench.webhook_receiver` that also keeps every delivery's body.

Run as its own process. Every delivery answered 2xx is kept as (webhook-id, raw body); besides the
receiver's own `/_bench/` endpoints, one more reads them back, incrementally:

    GET /_bench/deliveries?since=N   [[webhook_id, table, type, marker], ...] of deliveries N, N+1, …

`marker` is the string the soak run writes into each record it creates or updates (see `marker_of`),
so that a delivery can be matched with the write that caused it; null when the record has none.
"""

import argparse
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import orjson

from bench.webhook_receiver import Message, Receive, ReceiverState, Scope, Send, build_app

DELIVERIES_PATH = "/_bench/deliveries"
# The field of each table's record that carries the soak run's marker.
MARKER_FIELDS = {
    "multifamily_properties": "description",
    "units": "internal_notes",
}
EVENT_MARKER_KEY = "soak"


def marker_of(table: str, record: Mapping[str, Any] | None) -> str | None:
    """The marker a soak write left in `record` (a GET representation), if any."""
    if not record:
        return None
    if table == "lockbox_events":
        metadata = record.get("metadata")
        value = metadata.get(EVENT_MARKER_KEY) if isinstance(metadata, dict) else None
    else:
        field = MARKER_FIELDS.get(table)
        value = record.get(field) if field else None
    return value if isinstance(value, str) else None


@dataclass
class SoakReceiverState(ReceiverState):
    """Also keeps (webhook-id, body) of every delivery answered 2xx, in arrival order."""

    bodies: list[tuple[str, bytes]] = field(default_factory=list)

    def outcome(self, path: str, webhook_id: str, body: bytes, headers: dict[str, str]) -> int:
        status = super().outcome(path, webhook_id, body, headers)
        if status == 200:
            self.bodies.append((webhook_id, body))
        return status

    def deliveries(self, since: int) -> list[list[str | None]]:
        rows: list[list[str | None]] = []
        for webhook_id, body in self.bodies[since:]:
            try:
                payload = orjson.loads(body)
                table, kind = str(payload.get("table")), str(payload.get("type"))
                rows.append([webhook_id, table, kind, marker_of(table, payload.get("record"))])
            except (orjson.JSONDecodeError, AttributeError):
                rows.append([webhook_id, None, None, None])
        return rows


def build_soak_app(state: SoakReceiverState) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    inner = build_app(state)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == DELIVERIES_PATH:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            since = int(query.get("since", ["0"])[0])
            body = orjson.dumps(state.deliveries(max(0, since)))
            start: Message = {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        await inner(scope, receive, send)

    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(
        build_soak_app(SoakReceiverState()),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
