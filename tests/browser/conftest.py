"""The browser tier: Chromium headless, driven by Playwright, against the local stack's console.

Chromium is the system's (``chromium`` on PATH, or ``HOOKLINE_CHROMIUM``) or Playwright's own
(``playwright install chromium``); see ``tests.browser.chromium``. When neither is there the tier fails, naming the
command to run: it never skips.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Playwright, sync_playwright

from infra.local.stack import LocalStack
from tests.browser.chromium import NoChromium, launch

#: Where the story's screenshots go: ``make screenshots`` sets it to docs/screenshots (the README's); otherwise a
#: temporary folder, so that a test run leaves the work tree as it was.
SCREENSHOTS = Path(os.environ.get("HOOKLINE_SCREENSHOTS") or tempfile.mkdtemp(prefix="hookline-screenshots-"))


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    try:
        launched = launch(playwright)
    except NoChromium as error:
        pytest.fail(str(error), pytrace=False)
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def running(stack: LocalStack) -> Iterator[LocalStack]:
    stack.drain_queues()
    stack.run_pollers()
    yield stack
    stack.stop_pollers()


@dataclass
class Watched:
    """A page, and everything it did that a console must never do: a dialog, an error, a script that ran."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def clean(self) -> None:
        assert self.dialogs == [], self.dialogs
        assert self.errors == [], self.errors


def watch(page: Page) -> Watched:
    watched = Watched(page)

    def on_dialog(dialog: Dialog) -> None:
        watched.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        # the API's 4xx answers (a failed test, an unknown namespace) are logged by Chromium; they are not errors
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            watched.errors.append(message.text)

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.errors.append(f"uncaught: {error}"))
    return watched


@pytest.fixture
def console(browser: Browser, running: LocalStack) -> Iterator[Watched]:
    """A fresh browser context (its own sessionStorage) on the console; checked clean at the end."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    watched = watch(context.new_page())
    yield watched
    context.close()
    watched.clean()


def console_url(stack: LocalStack) -> str:
    return f"{stack.api_url}/console/"
