"""The ceiling for one uvicorn process here: a raw ASGI app answering every request with one fixed body.

No routing, validation or middleware: what is left is uvicorn (httptools, uvloop) itself, so a
mock served by one uvicorn process cannot go faster than this on the same machine.

    python -m bench.mock_ceiling --port P
"""

import argparse

import uvicorn
from starlette.types import Receive, Scope, Send

BODY = b'[{"id":"3f6c8a52-1d4e-4b7a-9c2f-5e8d7a6b4c31","lockbox_type":"Sentrilock"}]'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):  # drain the request body
        pass
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
