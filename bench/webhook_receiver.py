"""A fast local webhook receiver, run as its own process (uvicorn with a minimal raw ASGI app).

Every POST outside `/_bench/` is a delivery: its path, `webhook-id` and arrival time (wall clock,
so it compares with timestamps written by other processes) are recorded, the signature is checked
once secrets are configured, and a configurable fraction of requests is failed at random (seeded)
with 500 or 503 and an optional `Retry-After`; every request to a path listed as failing is
answered 500. The `/_bench/` endpoints configure the receiver and read what it recorded:

    POST /_bench/config   {"secrets": {path: whsec_…}, "fail_rate", "seed", "retry_after",
                           "failing_paths": [path, …]} (any subset)
    POST /_bench/reset    forget every recorded request
    GET  /_bench/stats    counters
    GET  /_bench/records  [[path, webhook_id, status, arrival_unix_seconds], ...] in arrival order

Subscriptions that share the receiver use different paths (each has its own signing secret). One
event reaches each of them with the same `webhook-id`, so a delivery is identified by (path,
webhook-id).
"""

import argparse
import random
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

FAILURE_STATUSES = (500, 503)


@dataclass
class ReceiverState:
    fail_rate: float = 0.0
    seed: int = 0
    retry_after: str | None = None
    # Once any secret is configured, a request to a path without one fails verification.
    verifiers: dict[str, Webhook] = field(default_factory=dict)
    # Every request to these paths is answered 500 (a subscription whose receiver is broken).
    failing_paths: set[str] = field(default_factory=set)
    rng: random.Random = field(default_factory=random.Random)
    # (path, webhook-id, status, arrival time); a list keeps appends cheap on the hot path.
    records: list[tuple[str, str, int, float]] = field(default_factory=list)
    delivered: set[tuple[str, str]] = field(default_factory=set)
    succeeded: int = 0
    bad_signatures: int = 0

    def configure(self, config: dict[str, Any]) -> None:
        for path, secret in config.get("secrets", {}).items():
            self.verifiers[path] = Webhook(secret)
        if "fail_rate" in config:
            self.fail_rate = float(config["fail_rate"])
        if "retry_after" in config:
            value = config["retry_after"]
            self.retry_after = None if value is None else str(value)
        if "failing_paths" in config:
            self.failing_paths = set(config["failing_paths"])
        if "seed" in config:
            self.seed = int(config["seed"])
            self.rng = random.Random(self.seed)

    def reset(self) -> None:
        self.records.clear()
        self.delivered.clear()
        self.succeeded = self.bad_signatures = 0

    def stats(self) -> dict[str, Any]:
        return {
            "requests": len(self.records),
            "succeeded": self.succeeded,
            "delivered": len(self.delivered),
            "failed": len(self.records) - self.succeeded,
            "bad_signatures": self.bad_signatures,
        }

    def verified(self, path: str, body: bytes, headers: dict[str, str]) -> bool:
        if not self.verifiers:
            return True
        verifier = self.verifiers.get(path)
        try:
            return verifier is not None and verifier.verify(body, headers, json_parse=False) is None
        except (WebhookVerificationError, ValueError):
            return False

    def outcome(self, path: str, webhook_id: str, body: bytes, headers: dict[str, str]) -> int:
        """The status to answer with; records the request."""
        if not self.verified(path, body, headers):
            self.bad_signatures += 1
            return 401
        status = 200
        if path in self.failing_paths:
            status = 500
        elif self.fail_rate and self.rng.random() < self.fail_rate:
            status = self.rng.choice(FAILURE_STATUSES)
        self.records.append((path, webhook_id, status, time.time()))
        if status == 200:
            self.succeeded += 1
            self.delivered.add((path, webhook_id))
        return status


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(
    send: Send, status: int, body: bytes = b"", headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


def build_app(state: ReceiverState) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        path, method = scope["path"], scope["method"]
        if path.startswith("/_bench/"):
            await _control(state, send, method, path, body)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        webhook_id = headers.get("webhook-id")
        if method != "POST" or not webhook_id:
            await _answer(send, 400, b'{"error":"a webhook is a POST with a webhook-id header"}')
            return
        status = state.outcome(path, webhook_id, body, headers)
        extra = ((b"retry-after", state.retry_after.encode()),) if status >= 500 and state.retry_after else ()
        await _answer(send, status, b"{}", extra)

    return app


async def _control(state: ReceiverState, send: Send, method: str, path: str, body: bytes) -> None:
    if method == "GET" and path == "/_bench/stats":
        await _answer(send, 200, orjson.dumps(state.stats()))
    elif method == "GET" and path == "/_bench/records":
        await _answer(send, 200, orjson.dumps(state.records))
    elif method == "POST" and path == "/_bench/config":
        state.configure(orjson.loads(body or b"{}"))
        await _answer(send, 200, orjson.dumps(state.stats()))
    elif method == "POST" and path == "/_bench/reset":
        state.reset()
        await _answer(send, 200, orjson.dumps(state.stats()))
    else:
        await _answer(send, 404, b'{"error":"Not found"}')


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--fail-rate", type=float, default=0.0, help="fraction of requests failed (0-1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the failure draw")
    parser.add_argument("--retry-after", default=None, help="Retry-After sent with each failure")
    args = parser.parse_args(argv)
    state = ReceiverState()
    state.configure(
        {
            "fail_rate": args.fail_rate,
            "seed": args.seed,
            "retry_after": args.retry_after,
        }
    )
    uvicorn.run(
        build_app(state),
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
