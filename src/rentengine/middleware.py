"""Pure ASGI middleware: body size and content type checks, rate-limit headers on every response."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rentengine.auth.ratelimit import rate_limit_headers
from rentengine.errors import BadRequest, PayloadTooLarge, detail, json_response, render

_BODY_METHODS = {b"POST", b"PUT", b"PATCH"}


class RateLimitHeaders:
    """Adds the `X-Ratelimit-*` headers that the Bearer dependency left in the request state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = rate_limit_headers(scope)
                if extra:
                    headers = list(message.get("headers", []))
                    headers.extend((k.lower().encode(), v.encode()) for k, v in extra.items())
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyGuard:
    """Refuses non-JSON bodies (400) and bodies over the size limit (413) before any work is done."""

    def __init__(self, app: ASGIApp, max_bytes: int, prefix: str) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"].encode() not in _BODY_METHODS
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await render(PayloadTooLarge())(scope, receive, send)
            return
        body = await self._read(receive)
        if body is None:
            await render(PayloadTooLarge())(scope, receive, send)
            return
        if body and not _is_json(headers.get(b"content-type", b"")):
            await render(
                BadRequest(
                    [
                        detail(
                            "contentType",
                            "",
                            "content type must be application/json",
                            {"allowed": ["application/json"]},
                            "#",
                        )
                    ]
                )
            )(scope, receive, send)
            return
        await self.app(scope, replay_body(body), send)

    async def _read(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


def replay_body(body: bytes) -> Receive:
    """A `receive` that hands the already-read body to the app once."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


__all__ = ["BodyGuard", "RateLimitHeaders", "json_response", "replay_body"]
