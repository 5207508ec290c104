"""Start Debian's Chromium under Playwright.

Playwright's own browser download cannot work on this machine (nor behind many proxies), so the
browser is the system's ``chromium`` package, driven through ``executable_path``. A missing
browser or a missing ``playwright`` package goes through ``require_component``: a skip on a
user's machine, a failure in CI.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tests.conftest import require_component

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM_NAMES = ("chromium", "chromium-browser")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
]


def find_chromium() -> str | None:
    """The path of the system's Chromium, or None."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def require_playwright() -> None:
    require_component(
        importlib.util.find_spec("playwright") is not None,
        "the playwright package is not installed: pip install -e '.[dev]'",
    )


def launch_chromium(playwright: Playwright) -> Browser:
    """Launch the system's Chromium headless (skip, or fail in CI, when it is missing)."""
    path = find_chromium()
    require_component(path is not None, "Chromium is not installed: apt-get install chromium")
    return playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)


class _SharedChromium:
    """One Playwright driver and one browser per process.

    Playwright's sync API cannot start a second driver while one runs in the same thread, and
    session fixtures imported by two conftests (tests/browser, tests/integration) are two
    fixtures: both take the browser from here, and the last user closes it.
    """

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._users = 0

    def acquire(self) -> Browser:
        if self._browser is None:
            require_playwright()
            from playwright.sync_api import sync_playwright

            # Check before starting the driver, so a skip leaves nothing running.
            require_component(
                find_chromium() is not None, "Chromium is not installed: apt-get install chromium"
            )
            playwright = sync_playwright().start()
            try:
                self._browser = launch_chromium(playwright)
            except BaseException:
                playwright.stop()
                raise
            self._playwright = playwright
        self._users += 1
        return self._browser

    def release(self) -> None:
        self._users -= 1
        if self._users > 0:
            return
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = None
        try:
            if browser is not None:
                browser.close()
        finally:
            if playwright is not None:
                playwright.stop()


_shared = _SharedChromium()


@contextmanager
def shared_chromium() -> Iterator[Browser]:
    """The process's headless Chromium (started on first use, closed by the last user)."""
    browser = _shared.acquire()
    try:
        yield browser
    finally:
        _shared.release()


@contextmanager
def chromium_page(viewport_width: int = 1280, viewport_height: int = 900) -> Iterator[Page]:
    """A fresh page (own context) in the shared headless Chromium, usable outside fixtures.

    ``with chromium_page() as page: assert_inventory_page(page, url, rows, 5)``
    """
    with shared_chromium() as browser:
        context = browser.new_context(viewport={"width": viewport_width, "height": viewport_height})
        try:
            yield context.new_page()
        finally:
            context.close()
