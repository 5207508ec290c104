"""The inventory web page in a real headless Chromium, served by small local servers.

These are page-behaviour tests: the API here is a stand-in answering from recorded exchanges in
the shape of get_inventory_api (``recordings/inventory_api.json``), with CORS, on another origin
than the site. They cover how the page follows ``next_token``, groups, sorts, highlights,
filters, escapes and reports errors. The end-to-end test on the local cloud runs the same
assertions (``assert_inventory_page``) against the real deployed API and website.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from tests.browser.inventory_page import (
    assert_inventory_page,
    assert_store_filter,
    read_page,
    select_store,
    wait_until_settled,
)
from tests.browser.servers import (
    WEB_DIR,
    RecordedApi,
    closed_port,
    load_recording,
    serve_api,
    serve_website,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

BERLIN = [
    ("Berlin", "Apples", 12),
    ("Berlin", "Bananas", 3),
    ("Berlin", "Bread", 0),
    ("Berlin", "Cheese", 7),
    ("Berlin", "Coffee", 4),
    ("Berlin", "Eggs", 30),
    ("Berlin", "Milk", 5),
    ("Berlin", "Rice", 2),
    ("Berlin", "Tea", 9),
]
MADRID = [
    ("Madrid", "Apples", 8),
    ("Madrid", "Chorizo", 1),
    ("Madrid", "Olive oil", 15),
    ("Madrid", "Oranges", 40),
    ("Madrid", "Paella rice", 4),
    ("Madrid", "Saffron", 2),
    ("Madrid", "Tomatoes", 22),
    ("Madrid", "Wine", 5),
]
TWO_STORES = BERLIN + MADRID

Site = Callable[..., str]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """``site(api, threshold=5)``: serve the page with a config.js pointing at ``api``.

    ``api`` is a RecordedApi, a URL string (e.g. a closed port), or None for no config.js.
    """
    with ExitStack() as stack:
        count = 0

        def make(api: RecordedApi | str | None, threshold: Any = 5, **extra: Any) -> str:
            nonlocal count
            count += 1
            root = tmp_path / f"site{count}"
            if api is None:
                return stack.enter_context(serve_website(root, None))
            api_url = api if isinstance(api, str) else stack.enter_context(serve_api(api))
            config = {"apiUrl": api_url, "lowStockThreshold": threshold, **extra}
            return stack.enter_context(serve_website(root, config))

        yield make


def recorded(scenario: str) -> RecordedApi:
    return RecordedApi(load_recording(scenario))


def assert_nothing_scrolls_sideways(page: Page) -> None:
    overflow = page.evaluate(
        """() => [document.documentElement, ...document.querySelectorAll(".table-wrap")]
                 .map((el) => el.scrollWidth - el.clientWidth)"""
    )
    assert max(overflow) <= 0, f"content scrolls sideways by {overflow}px"


# ---------------------------------------------------------------- the inventory


def test_shows_every_page_grouped_by_store_with_low_stock_marked(
    browser_page: Page, site: Site
) -> None:
    # GIVEN an API that answers 17 items over three pages, in scan order
    api = recorded("two_stores_paginated")
    url = site(api)
    # WHEN the page opens THEN it shows all of them, grouped, sorted, low stock marked
    assert_inventory_page(browser_page, url, TWO_STORES, threshold=5)
    # AND it followed next_token to the end, encoding the token
    assert [query.get("next_token") for path, query in api.requests if path == "/items"] == [
        None,
        "tok-1",
        "eyJzdG9yZSI6ICJCZXJsaW4iLCAiaXRlbSI6ICJUZWEifQ+/=",
    ]
    assert all(query["limit"] == "100" for _, query in api.requests)
    assert read_page(browser_page).summary == "17 items in 2 stores, 7 low on stock"


def test_low_stock_follows_the_configured_threshold(browser_page: Page, site: Site) -> None:
    url = site(recorded("two_stores_paginated"), threshold=3)
    assert_inventory_page(browser_page, url, TWO_STORES, threshold=3)


def test_api_url_with_trailing_slash_still_works(browser_page: Page, site: Site) -> None:
    api = recorded("two_stores_paginated")
    with serve_api(api) as api_url:
        url = site(api_url + "/")
        assert_inventory_page(browser_page, url, TWO_STORES, threshold=5)
    assert {path for path, _ in api.requests} == {"/items"}


def test_store_filter_asks_for_one_store_and_shows_only_it(browser_page: Page, site: Site) -> None:
    api = recorded("two_stores_paginated")
    url = site(api)
    assert_inventory_page(browser_page, url, TWO_STORES, threshold=5)

    assert_store_filter(browser_page, "Madrid", TWO_STORES, threshold=5)
    assert_store_filter(browser_page, "Berlin", TWO_STORES, threshold=5)
    # the store query is paginated too
    assert [q.get("next_token") for p, q in api.requests if p == "/items/Berlin"] == [None, "b-1"]

    # back to all stores
    assert select_store(browser_page, None) == "ready"
    assert len(browser_page.locator("tr[data-item]").all()) == len(TWO_STORES)
    # the filter keeps offering every store
    assert read_page(browser_page).options == ["All stores", "Berlin", "Madrid"]


def test_names_are_encoded_escaped_and_sorted_case_insensitively(
    browser_page: Page, site: Site
) -> None:
    api = recorded("special_names")
    url = site(api)
    rows = [
        ("São Paulo", "Zucchini", 9),
        ("São Paulo", "apples", 3),
        ("São Paulo", "Bananas", 6),
        ("Köln & Co <b>", '<img src=x onerror="window.__injected=1">', 1),
        ("Köln & Co <b>", "Tea \"Earl Grey\" & 'Lemon'", 10),
    ]
    assert_inventory_page(browser_page, url, rows, threshold=5)
    items = browser_page.locator('section[data-store="São Paulo"] tr[data-item]')
    assert [row.get_attribute("data-item") for row in items.all()] == [
        "apples",
        "Bananas",
        "Zucchini",
    ]
    # data is text, never markup
    assert browser_page.locator("#inventory img, #inventory b").count() == 0
    assert browser_page.evaluate("() => window.__injected") is None
    assert browser_page.get_by_text('<img src=x onerror="window.__injected=1">').is_visible()

    assert_store_filter(browser_page, "São Paulo", rows, threshold=5)
    assert_store_filter(browser_page, "Köln & Co <b>", rows, threshold=5)
    assert ("/items/São Paulo", {"limit": "100"}) in api.requests
    # a long unbreakable name wraps inside its column, on a desktop and on a phone
    assert_nothing_scrolls_sideways(browser_page)
    browser_page.set_viewport_size({"width": 360, "height": 740})
    assert_nothing_scrolls_sideways(browser_page)


def test_refresh_shows_the_new_inventory(browser_page: Page, site: Site) -> None:
    api = recorded("two_stores_paginated")
    url = site(api)
    assert_inventory_page(browser_page, url, TWO_STORES, threshold=5)

    api.exchanges = load_recording("restocked")
    browser_page.get_by_role("button", name="Refresh").click()
    wait_until_settled(browser_page, scope="")
    shown = [
        (row.get_attribute("data-store"), row.get_attribute("data-item"))
        for row in browser_page.locator("tr[data-item]").all()
    ]
    assert shown == [("Berlin", "Apples"), ("Berlin", "Bananas"), ("Madrid", "Saffron")]
    assert browser_page.locator("tr.low-stock").count() == 1
    assert read_page(browser_page).summary == "3 items in 2 stores, 1 low on stock"


def test_loading_state_while_the_api_is_slow(browser_page: Page, site: Site) -> None:
    api = recorded("two_stores_paginated")
    api.delay_s = 0.6
    url = site(api)
    browser_page.goto(url)
    browser_page.wait_for_function("() => document.body.dataset.state === 'loading'")
    assert browser_page.locator("#refresh").is_disabled()
    assert browser_page.locator("#inventory").get_attribute("aria-busy") == "true"
    assert "Loading" in browser_page.get_by_role("status").inner_text()
    assert wait_until_settled(browser_page) == "ready"
    assert browser_page.locator("#refresh").is_enabled()
    assert browser_page.locator("#inventory").get_attribute("aria-busy") == "false"


def test_empty_inventory_says_so(browser_page: Page, site: Site) -> None:
    url = site(recorded("empty"))
    assert_inventory_page(browser_page, url, [], threshold=5)
    message = browser_page.locator("#empty")
    assert message.is_visible()
    assert "No items" in message.inner_text()
    assert read_page(browser_page).summary == "0 items in 0 stores, 0 low on stock"


# ---------------------------------------------------------------- failures


def test_api_error_answer_is_shown_in_an_alert(browser_page: Page, site: Site) -> None:
    api = recorded("server_error")
    with serve_api(api) as api_url:
        url = site(api_url)
        browser_page.goto(url)
        assert wait_until_settled(browser_page) == "error"
    alert = browser_page.get_by_role("alert")
    assert alert.is_visible()
    text = alert.inner_text()
    assert f"The inventory API at {api_url}/items answered with an error" in text
    assert "HTTP 500" in text
    assert "Internal Server Error" in text
    assert browser_page.locator("tr[data-item]").count() == 0


def test_error_on_a_later_page_shows_no_partial_inventory(browser_page: Page, site: Site) -> None:
    url = site(recorded("fails_on_second_page"))
    browser_page.goto(url)
    assert wait_until_settled(browser_page) == "error"
    text = browser_page.get_by_role("alert").inner_text()
    assert "HTTP 400" in text
    assert "next_token is not valid" in text
    assert browser_page.locator("tr[data-item]").count() == 0
    assert read_page(browser_page).summary == ""


def test_unreachable_api_is_shown_in_an_alert(browser_page: Page, site: Site) -> None:
    with closed_port() as port:
        api_url = f"http://127.0.0.1:{port}"
        url = site(api_url)
        browser_page.goto(url)
        assert wait_until_settled(browser_page) == "error"
    alert = browser_page.get_by_role("alert")
    assert alert.is_visible()
    assert alert.inner_text().startswith(f"Could not reach the inventory API at {api_url}/items: ")
    # the user can try again
    assert browser_page.locator("#refresh").is_enabled()


def test_recovers_after_the_api_comes_back(browser_page: Page, site: Site) -> None:
    api = recorded("server_error")
    url = site(api)
    browser_page.goto(url)
    assert wait_until_settled(browser_page) == "error"
    api.exchanges = load_recording("two_stores_paginated")
    browser_page.get_by_role("button", name="Refresh").click()
    assert wait_until_settled(browser_page) == "ready"
    assert read_page(browser_page).error == ""
    assert not browser_page.locator("#error").is_visible()
    assert browser_page.locator("tr[data-item]").count() == len(TWO_STORES)


@pytest.mark.parametrize("config", [None, {"lowStockThreshold": 5}], ids=["no-file", "no-apiUrl"])
def test_missing_configuration_is_explained(
    browser_page: Page, tmp_path: Path, config: dict[str, Any] | None
) -> None:
    with serve_website(tmp_path / "site", config) as url:
        browser_page.goto(url)
        assert wait_until_settled(browser_page) == "no-config"
        alert = browser_page.get_by_role("alert")
        assert alert.is_visible()
        assert "config.js is missing or has no apiUrl" in alert.inner_text()
        assert browser_page.locator("#refresh").is_disabled()


# ---------------------------------------------------------------- layout, offline, files


def test_layout_fits_desktop_and_phone_and_uses_no_outside_resource(
    browser_page: Page, site: Site, tmp_path: Path
) -> None:
    requested: list[str] = []
    browser_page.on("request", lambda request: requested.append(request.url))
    url = site(recorded("two_stores_paginated"))
    assert_inventory_page(browser_page, url, TWO_STORES, threshold=5)
    browser_page.screenshot(path=str(tmp_path / "inventory-desktop.png"), full_page=True)
    # two store cards side by side on a desktop
    boxes = [s.bounding_box() for s in browser_page.locator("section[data-store]").all()]
    assert boxes[0] and boxes[1] and boxes[0]["y"] == boxes[1]["y"]

    browser_page.set_viewport_size({"width": 360, "height": 740})
    browser_page.screenshot(path=str(tmp_path / "inventory-phone.png"), full_page=True)
    assert_nothing_scrolls_sideways(browser_page)

    hosts = {urlsplit(u).hostname for u in requested}
    assert hosts == {"127.0.0.1"}, f"the page fetched from outside: {sorted(set(requested))}"


def test_web_directory_holds_no_config_js() -> None:
    """config.js is generated at deploy time; a committed one would shadow it locally."""
    assert not (WEB_DIR / "config.js").exists()
    assert {p.name for p in WEB_DIR.iterdir()} >= {"index.html", "app.js", "style.css"}


def test_fixture_and_helper_share_one_browser(browser_page: Page) -> None:
    """Playwright's sync API allows one driver per thread; every user shares one browser."""
    from tests.browser.chromium import chromium_page

    with chromium_page() as other:
        assert other.context.browser is browser_page.context.browser
