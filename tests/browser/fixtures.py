"""Pytest fixtures for browser tests.

``tests/browser/conftest.py`` imports them; a test elsewhere (the end-to-end test on the local
cloud) can do the same in its own conftest, or list ``"tests.browser.fixtures"`` in
``pytest_plugins`` of the top-level conftest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser.chromium import shared_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Browser]:
    """The headless Chromium of one test module. Playwright's sync API keeps an event loop running
    while it is open, so it must not outlive the module: another module run later in the same
    process (pytest-xdist mixes them) may need to run an event loop of its own."""
    with shared_chromium() as browser:
        yield browser


@pytest.fixture
def browser_page(chromium_browser: Browser) -> Iterator[Page]:
    """A fresh page (own cookies, cache and storage), closed after the test."""
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
