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


@contextmanager
def chromium_page(viewport_width: int = 1280, viewport_height: int = 900) -> Iterator[Page]:
    """A fresh page in a fresh headless Chromium, for use outside pytest fixtures.

    ``with chromium_page() as page: assert_inventory_page(page, url, rows, 5)``
    """
    require_playwright()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context(
                viewport={"width": viewport_width, "height": viewport_height}
            )
            try:
                yield context.new_page()
            finally:
                context.close()
        finally:
            browser.close()
