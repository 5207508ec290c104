"""Fixtures for the end-to-end tests on the local cloud."""

from tests.browser.fixtures import browser_page, chromium_browser

__all__ = ["browser_page", "chromium_browser"]
