"""Which Chromium the browser tier drives: ``HOOKLINE_CHROMIUM``, the system's ``chromium``, or Playwright's own.

``python -m tests.browser.chromium`` (run by ``make test`` first) exits 1 with the command to run when there is none.
"""

from __future__ import annotations

import os
import shutil
import sys

from playwright.sync_api import Browser, Playwright, sync_playwright

INSTALL_HINT = (
    "The browser tier needs Chromium. On Debian or Ubuntu: `sudo apt-get install -y chromium` (or set "
    "HOOKLINE_CHROMIUM to a Chromium binary); elsewhere: `.venv/bin/playwright install chromium`."
)


class NoChromium(RuntimeError):
    pass


def chromium_path() -> str | None:
    explicit = os.environ.get("HOOKLINE_CHROMIUM")
    if explicit:
        return explicit
    return next((found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None)


def launch(driver: Playwright) -> Browser:
    """Chromium headless; NoChromium with the install hint when neither the system's nor Playwright's is there."""
    try:
        return driver.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
    except Exception as error:
        raise NoChromium(f"{INSTALL_HINT}\n({type(error).__name__}: {str(error).splitlines()[0]})") from None


def main() -> None:
    with sync_playwright() as driver:
        try:
            launch(driver).close()
        except NoChromium as error:
            sys.exit(str(error))


if __name__ == "__main__":
    main()
