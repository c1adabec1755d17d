"""A website on another origin reads the feed from its page scripts in Chromium, and revalidates it.

A real `rentengine serve` answers; the page comes from a tiny HTTP server on another loopback port,
so the browser applies its cross-origin rules: the CORS preflight for `If-None-Match`, and which
response headers the script may read.
"""

import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, async_playwright

from rentengine.runtime import Runtime
from tests.browser import CHROMIUM_ARGS
from tests.factories import Tenant, make_tenant, unit_body
from tests.ports import free_port
from tests.servers import serving, user_environment

PAGE = b"<!doctype html><title>Homes for rent</title><h1>Our homes</h1>"
# What the owner's page script does: fetch the feed, keep its tag, ask again with the tag.
READ_TWICE = """async (url) => {
  const first = await fetch(url);
  const etag = first.headers.get("ETag");
  const listings = await first.json();
  const again = await fetch(url, {headers: {"If-None-Match": etag}});
  return {status: first.status, etag, listings, againStatus: again.status, againBody: await again.text()};
}"""


class _Website(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *_args: Any) -> None:
        """Quiet."""


@pytest.fixture
def website() -> Iterator[str]:
    """The owner's website: another origin than the API's."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Website)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def api_server(database_url: str, tmp_path: Path) -> Iterator[str]:
    with serving(user_environment(database_url), tmp_path / "serve.log", "--no-worker") as base:
        yield base


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


async def _listed_unit(api_server: str, tenant: Tenant) -> None:
    body = unit_body(
        tenant.account_id,
        status="Available",
        marketing_photos=[{"path": "https://img.example.com/a.jpg", "hidden": False}],
    )
    async with httpx.AsyncClient(base_url=f"{api_server}/api/public/v1") as api:
        response = await api.post("/units", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text


async def test_a_page_on_another_origin_reads_and_revalidates_the_feed(
    browser: Browser, website: str, api_server: str, runtime: Runtime
) -> None:
    tenant = await make_tenant(runtime)
    await _listed_unit(api_server, tenant)
    feed_url = f"{api_server}/api/public/v1/marketing/listings/{tenant.account_id}"
    context = await browser.new_context()
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    await page.goto(website)
    result = await page.evaluate(READ_TWICE, feed_url)
    await context.close()
    assert result["status"] == 200
    assert result["etag"] is not None  # exposed to the page's scripts
    assert result["etag"].startswith('"')
    assert [listing["photos"] for listing in result["listings"]] == [["https://img.example.com/a.jpg"]]
    assert (result["againStatus"], result["againBody"]) == (304, "")
    assert errors == []
