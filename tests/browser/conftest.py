"""Fixtures for the browser tests (defined in fixtures.py so other test packages can reuse them)."""

from tests.browser.fixtures import browser_page, chromium_browser

__all__ = ["browser_page", "chromium_browser"]
