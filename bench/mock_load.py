"""The request mix of the mock benchmark, and the load generator that sends it from a process of its own.

The mix is a fixed list of requests: GET lists with query parameters and POSTs whose bodies are the
document's own request examples, each with a Bearer header. Paths are relative to the document's
server; each target is given the prefix under which it serves them.

The generator keeps `connections` raw keep-alive HTTP/1.1 connections busy for a fixed time, each
walking the mix from its own offset, and prints one JSON line: requests, statuses, latency
percentiles and its own CPU time (so that a run can show the generator was not the limit). Raw
sockets on uvloop because a general-purpose client spends more CPU per request than the servers
under test do.

    python -m bench.mock_load --port P --prefix /api/public/v1 --document openapi.json --seconds 10
"""

import argparse
import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvloop

TOKEN = "mock-bench-token"  # a mock accepts any Bearer token; the value only has to be present
# (method, path relative to the server, query string, request example name or "")
MIX: list[tuple[str, str, str, str]] = [
    ("GET", "/units", "limit=10&page_number=0&statuses=Available&statuses=Leased&city=Austin", ""),
    ("GET", "/lockboxes", "limit=10&account_id={account}&lockbox_type=Sentrilock", ""),
    (
        "GET",
        "/lockbox_events",
        "limit=20&event_types=Install&event_types=Uninstall&created_at_from=2024-01-01T00:00:00Z",
        "",
    ),
    ("GET", "/multifamily_properties", "limit=10&deleted=false", ""),
    ("GET", "/webhooks", "limit=10&account_id={account}", ""),
    ("POST", "/units", "", "create"),
    ("POST", "/lockboxes", "", "create"),
    ("POST", "/lockbox_events", "", "install"),
    ("POST", "/multifamily_properties", "", "create"),
    ("POST", "/webhooks", "", "create"),
    ("POST", "/lockboxes/generate_code", "", "by_serial"),
]


@dataclass(frozen=True)
class MixRequest:
    method: str
    target: str  # path and query, relative to the server
    body: bytes

    @property
    def label(self) -> str:
        return f"{self.method} {self.target.split('?')[0]}"

    def raw(self, prefix: str, host: str) -> bytes:
        head = [f"{self.method} {prefix}{self.target} HTTP/1.1", f"Host: {host}"]
        head += [f"Authorization: Bearer {TOKEN}", "Accept: application/json"]
        if self.body:
            head += ["Content-Type: application/json", f"Content-Length: {len(self.body)}"]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + self.body


def build_mix(document: dict[str, Any]) -> list[MixRequest]:
    """The mix with bodies from the document's request examples and its example account id."""
    account = _example(document, "/units", "create")["account_id"]
    requests = []
    for method, path, query, example in MIX:
        body = json.dumps(_example(document, path, example)).encode() if example else b""
        target = f"{path}?{query.format(account=account)}" if query else path
        requests.append(MixRequest(method, target, body))
    return requests


def _example(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    media = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    value: dict[str, Any] = media["examples"][name]["value"]
    return value


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Reads one response (Content-Length or chunked body); returns its status."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    status_line, *lines = head.split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines if x)}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return int(status_line.split()[1])


async def _lane(
    host: str, port: int, raws: list[bytes], offset: int, until: float, measure_from: float, tally: Tally
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = offset
    try:
        while (now := time.perf_counter()) < until:
            writer.write(raws[i % len(raws)])
            status = await _read_response(reader)
            if now >= measure_from:  # requests started during the warm-up are not counted
                tally.statuses[status] += 1
                tally.latencies.append(time.perf_counter() - now)
            i += 1
    finally:
        writer.close()


async def generate(
    host: str, port: int, raws: list[bytes], connections: int, seconds: float, warmup: float
) -> dict[str, Any]:
    tally = Tally()
    start = time.perf_counter()
    measure_from, until = start + warmup, start + warmup + seconds
    lanes = (_lane(host, port, raws, n, until, measure_from, tally) for n in range(connections))
    cpu_start = time.process_time()
    await asyncio.gather(*lanes)
    elapsed = time.perf_counter() - measure_from
    latencies = sorted(tally.latencies)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000 if latencies else 0.0

    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "statuses": {str(k): v for k, v in tally.statuses.items()},
        "p50_ms": pct(50),
        "p99_ms": pct(99),
        "cpu_seconds": time.process_time() - cpu_start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--prefix", default="", help="the path the target serves the document's paths under")
    parser.add_argument("--document", type=Path, required=True)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    mix = build_mix(json.loads(args.document.read_text()))
    raws = [request.raw(args.prefix, f"{args.host}:{args.port}") for request in mix]
    result = uvloop.run(generate(args.host, args.port, raws, args.connections, args.seconds, args.warmup))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
