"""Values a tenant or a receiver controls are shown as text, never run: no dialog, no console error, no element
made from them, and the page shows the markup literally."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import httpx
import pytest
from playwright.sync_api import Page, expect

from infra.local.http_server import LoopbackHTTPServer
from infra.local.stack import LocalStack
from tests.browser.conftest import Watched, console_url
from tests.browser.test_story import hook_row, sign_in

PROJECT = "hostile/site"
SCRIPT = "<script>window.pwned=1;alert('script')</script>"
IMG = "<img src=x onerror=\"window.pwned=1;alert('img')\">"
SVG = "<svg onload=\"window.pwned=1;alert('svg')\"></svg>"
IFRAME = "<iframe src=\"javascript:alert('iframe')\"></iframe>"
NAME = f"{SCRIPT}{IMG}"
DESCRIPTION = f"{SVG}{IFRAME}<a href=\"javascript:alert('a')\">click</a>"
BODY = f"{SCRIPT}{IMG}{SVG}"
HEADER_VALUE = IMG


@pytest.fixture
def hostile_receiver() -> Iterator[str]:
    """A receiver that answers every delivery with markup in its body and in a header's name and value."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = BODY.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("X-Onerror-Img", HEADER_VALUE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def _no_markup_ran(page: Page) -> None:
    assert page.evaluate("window.pwned") is None
    # the only script is the console's own; no element was made from a value
    assert page.evaluate("[...document.scripts].map(s => s.getAttribute('src'))") == ["app.js"]
    assert page.locator("#app img, #app svg, #app iframe, #app a[href^=javascript]").count() == 0


def test_hostile_values_are_text(console: Watched, running: LocalStack, hostile_receiver: str) -> None:
    created = httpx.post(
        f"{running.api_url}/api/v4/projects/{PROJECT.replace('/', '%2F')}/hooks",
        json={"url": hostile_receiver, "name": NAME, "description": DESCRIPTION, "push_events": True},
        headers={"PRIVATE-TOKEN": running.admin_token},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    page = console.page
    sign_in(page, running, running.admin_token)
    page.goto(console_url(running) + "#/project/" + PROJECT.replace("/", "%2F"))

    # the list shows the name and description as they were written
    row = hook_row(page, "window.pwned")
    expect(row.locator(".hook-name")).to_have_text(NAME)
    expect(row.locator(".hook-description")).to_have_text(DESCRIPTION)
    _no_markup_ran(page)

    # the edit form: the values in their fields; a custom header key with markup is refused beside its field
    row.get_by_test_id("edit").click()
    expect(page.locator("#f-name")).to_have_value(NAME)
    page.click("[data-testid=add-header]")
    page.locator("[data-testid=custom-headers] .pair-key").fill(IMG)
    page.locator("[data-testid=custom-headers] .pair-value").fill(SCRIPT)
    page.click("[data-testid=save]")
    expect(page.locator("[data-error=custom_headers]")).not_to_be_empty()
    _no_markup_ran(page)
    page.click("text=Cancel")

    # the receiver's answer: body and headers in Recent events' details, as text
    hook_row(page, "window.pwned").get_by_test_id("test").click()
    expect(page.get_by_test_id("flash")).to_contain_text("Hook executed successfully")
    hook_row(page, "window.pwned").get_by_test_id("events").click()
    page.get_by_test_id("view-details").first.click()
    expect(page.get_by_test_id("response-body")).to_have_text(BODY)
    expect(page.locator("td", has_text="x-onerror-img").locator("xpath=..")).to_contain_text(HEADER_VALUE)
    _no_markup_ran(page)


@pytest.mark.parametrize("fragment", ["#/project/%E0%A4%A", "#/project/%", "#/group/a%2/hooks"])
def test_a_malformed_address_is_answered_not_stuck(console: Watched, running: LocalStack, fragment: str) -> None:
    """A hand-edited or hostile console address with a broken %-escape is a namespace the API does not know (its 404
    shown), never an uncaught error that leaves the page on "Loading…"."""
    page = console.page
    sign_in(page, running, running.admin_token)
    page.goto(console_url(running) + fragment)
    expect(page.locator(".notice")).to_contain_text("Not Found")
