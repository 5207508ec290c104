"""The inventory web page in a real headless Chromium, served by small local servers.

These are page-behaviour tests: the API here is a model of get_inventory_api's contract
(``servers.ModelApi``: the stores summary, one store's items with a prefix, the low-stock
listing, pages with opaque tokens), with CORS, on another origin than the site. They cover how
the page asks for one page at a time, marks low stock, searches, escapes and reports errors.
test_inventory_page_at_scale.py drives the real handler on a million items; the end-to-end test
on the local cloud runs the same assertions (``assert_inventory_page``) against the deployed
API and website.
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
    assert_items_shown,
    assert_store_filter,
    assert_stores_shown,
    open_store,
    read_page,
    wait_until_settled,
)
from tests.browser.servers import WEB_DIR, ModelApi, closed_port, serve_api, serve_website
from tests.inventory_api_tables import store_summaries

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
# 250 stores of 3 items, and one store of 250 items: more than a page (100) of each.
MANY_STORES = [(f"Shop {n:03d}", f"item {i}", (n + i) % 9) for n in range(250) for i in range(3)]
BIG_STORE = [("Hamburg", f"item {i:03d}", i % 12) for i in range(250)]

Site = Callable[..., str]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """``site(api, threshold=5)``: serve the page with a config.js pointing at ``api``.

    ``api`` is a ModelApi, a URL string (e.g. a closed port), or None for no config.js.
    """
    with ExitStack() as stack:
        count = 0

        def make(api: ModelApi | str | None, threshold: Any = 5, **extra: Any) -> str:
            nonlocal count
            count += 1
            root = tmp_path / f"site{count}"
            if api is None:
                return stack.enter_context(serve_website(root, None))
            api_url = api if isinstance(api, str) else stack.enter_context(serve_api(api))
            config = {"apiUrl": api_url, "lowStockThreshold": threshold, **extra}
            return stack.enter_context(serve_website(root, config))

        yield make


def assert_nothing_scrolls_sideways(page: Page) -> None:
    overflow = page.evaluate(
        """() => [document.documentElement, ...document.querySelectorAll(".table-wrap")]
                 .map((el) => el.scrollWidth - el.clientWidth)"""
    )
    assert max(overflow) <= 0, f"content scrolls sideways by {overflow}px"


def show_more(page: Page) -> None:
    page.get_by_role("button", name="Show more").click()
    wait_until_settled(page)


# ---------------------------------------------------------------- the stores


def test_opens_on_the_stores_with_their_counts_in_one_request(
    browser_page: Page, site: Site
) -> None:
    # GIVEN two stores
    api = ModelApi(TWO_STORES)
    # WHEN the page opens THEN it lists them with their item and low-stock counts
    assert_inventory_page(browser_page, site(api), TWO_STORES, threshold=5)
    assert read_page(browser_page).store_rows() == {"Berlin": (9, 4), "Madrid": (8, 3)}
    assert read_page(browser_page).summary == "2 stores: 17 items, 7 low on stock"
    # AND it asked for one page of stores, nothing else
    assert api.requests == [("/stores", {"limit": "100"})]


def test_stores_come_a_page_at_a_time_on_demand(browser_page: Page, site: Site) -> None:
    # GIVEN 250 stores
    api = ModelApi(MANY_STORES)
    browser_page.goto(site(api))
    wait_until_settled(browser_page, view="stores")
    # THEN the first page of 100 is shown, with a button for more, after one request
    snap = read_page(browser_page)
    assert len(snap.stores) == 100 and snap.more
    assert snap.summary.startswith("100 stores shown, more to load: 300 items")
    assert api.paths() == ["/stores"]
    # WHEN more is asked for twice THEN the next pages are added, and then no more is offered
    show_more(browser_page)
    assert len(read_page(browser_page).stores) == 200
    show_more(browser_page)
    snap = read_page(browser_page)
    assert_stores_shown(snap, store_summaries(MANY_STORES, 5))
    assert not snap.more
    assert [q.get("next_token") for _, q in api.requests] == [None, "stores@100", "stores@200"]


def test_empty_inventory_says_so(browser_page: Page, site: Site) -> None:
    assert_inventory_page(browser_page, site(ModelApi([])), [], threshold=5)
    message = browser_page.locator("#empty")
    assert message.is_visible()
    assert "No stores in the inventory yet" in message.inner_text()


# ---------------------------------------------------------------- one store


def test_a_store_shows_its_items_with_low_stock_marked(browser_page: Page, site: Site) -> None:
    api = ModelApi(TWO_STORES)
    assert_inventory_page(browser_page, site(api), TWO_STORES, threshold=5)
    assert_store_filter(browser_page, "Madrid", TWO_STORES, threshold=5)
    assert read_page(browser_page).summary == "8 items in Madrid, 3 low on stock"
    assert api.requests[-1] == ("/items/Madrid", {"limit": "100"})
    assert browser_page.url.endswith("#/store/Madrid")
    # back to the stores with the browser's back button
    browser_page.go_back()
    assert wait_until_settled(browser_page, view="stores") == "ready"
    assert read_page(browser_page).store_rows() == {"Berlin": (9, 4), "Madrid": (8, 3)}


def test_a_big_store_comes_a_page_at_a_time(browser_page: Page, site: Site) -> None:
    api = ModelApi(BIG_STORE)
    browser_page.goto(site(api) + "#/store/Hamburg")
    wait_until_settled(browser_page, view="store", scope="Hamburg")
    assert_items_shown(read_page(browser_page), BIG_STORE[:100], 5, with_store=False)
    assert api.paths() == ["/items/Hamburg"]
    show_more(browser_page)
    show_more(browser_page)
    snap = read_page(browser_page)
    assert_items_shown(snap, BIG_STORE, 5, with_store=False)
    assert not snap.more
    assert len(api.requests) == 3


def test_low_stock_follows_the_configured_threshold(browser_page: Page, site: Site) -> None:
    url = site(ModelApi(TWO_STORES, threshold=3), threshold=3)
    browser_page.goto(url + "#/store/Berlin")
    wait_until_settled(browser_page, view="store", scope="Berlin")
    assert_items_shown(read_page(browser_page), BERLIN, threshold=3, with_store=False)
    assert "fewer than 3 left" in browser_page.locator("#legend").inner_text()


def test_search_by_prefix_waits_for_the_typing_to_stop(browser_page: Page, site: Site) -> None:
    # GIVEN Berlin open
    api = ModelApi(TWO_STORES)
    browser_page.goto(site(api) + "#/store/Berlin")
    wait_until_settled(browser_page, view="store", scope="Berlin")
    # WHEN "Br" is typed in the search field, one key every 50 ms
    search = browser_page.get_by_label("Item name starts with")
    search.press_sequentially("Br", delay=50)
    wait_until_settled(browser_page, view="store", scope="Berlin", prefix="Br")
    # THEN one request asks for the prefix, and only the matching items are shown
    assert api.requests[1:] == [("/items/Berlin", {"prefix": "Br", "limit": "100"})]
    snap = read_page(browser_page)
    assert_items_shown(snap, [("Berlin", "Bread", 0)], 5, with_store=False)
    assert snap.summary == "1 item starting with \u201cBr\u201d"
    # WHEN nothing matches THEN it says so
    search.fill("Zz")
    wait_until_settled(browser_page, view="store", prefix="Zz")
    assert read_page(browser_page).empty == "No item of Berlin starts with \u201cZz\u201d."
    # WHEN the field is emptied THEN the whole store is back
    search.fill("")
    wait_until_settled(browser_page, view="store", prefix="")
    assert_items_shown(read_page(browser_page), BERLIN, 5, with_store=False)
    assert api.requests[-1] == ("/items/Berlin", {"limit": "100"})


# ---------------------------------------------------------------- low stock everywhere


def test_low_stock_everywhere_lists_the_low_items_of_every_store(
    browser_page: Page, site: Site
) -> None:
    api = ModelApi(TWO_STORES + BIG_STORE)
    assert_inventory_page(browser_page, site(api), TWO_STORES + BIG_STORE, threshold=5)
    browser_page.get_by_role("link", name="Low stock everywhere").click()
    wait_until_settled(browser_page, view="low")
    assert api.requests[-1] == ("/items", {"low_stock": "true", "limit": "100"})
    low = sorted(row for row in TWO_STORES + BIG_STORE if row[2] < 5)
    snap = read_page(browser_page)
    assert_items_shown(snap, low[:100], 5, with_store=True)
    assert snap.more and snap.title == "Low stock everywhere"
    show_more(browser_page)
    assert_items_shown(read_page(browser_page), low, 5, with_store=True)
    # a store's name leads to that store
    browser_page.locator("tr[data-item]").first.get_by_role("link").click()
    wait_until_settled(browser_page, view="store", scope="Berlin")


# ---------------------------------------------------------------- names, refresh, loading


def test_names_are_encoded_and_shown_as_text(browser_page: Page, site: Site) -> None:
    rows = [
        ("São Paulo", "Zucchini", 9),
        ("São Paulo", "apples", 3),
        ("Köln & Co <b>", '<img src=x onerror="window.__injected=1">', 1),
        ("Köln & Co <b>", "Tea \"Earl Grey\" & 'Lemon'", 10),
        ("A/B #1 ?x=1", "Tea", 1),
    ]
    api = ModelApi(rows)
    assert_inventory_page(browser_page, site(api), rows, threshold=5)
    assert_store_filter(browser_page, "Köln & Co <b>", rows, threshold=5)
    # data is text, never markup
    assert browser_page.locator("#inventory img, #inventory b").count() == 0
    assert browser_page.evaluate("() => window.__injected") is None
    assert browser_page.get_by_text('<img src=x onerror="window.__injected=1">').is_visible()
    browser_page.go_back()
    wait_until_settled(browser_page, view="stores")
    assert_store_filter(browser_page, "São Paulo", rows, threshold=5)
    assert ("/items/São Paulo", {"limit": "100"}) in api.requests
    browser_page.go_back()
    wait_until_settled(browser_page, view="stores")
    open_store(browser_page, "A/B #1 ?x=1")
    assert urlsplit(browser_page.url).fragment == "/store/A%2FB%20%231%20%3Fx%3D1"
    # a long unbreakable name wraps inside its column, on a desktop and on a phone
    assert_nothing_scrolls_sideways(browser_page)
    browser_page.set_viewport_size({"width": 360, "height": 740})
    assert_nothing_scrolls_sideways(browser_page)


def test_refresh_shows_the_new_inventory(browser_page: Page, site: Site) -> None:
    api = ModelApi(TWO_STORES)
    assert_inventory_page(browser_page, site(api), TWO_STORES, threshold=5)
    api.rows = [("Berlin", "Apples", 12), ("Berlin", "Bananas", 30), ("Madrid", "Saffron", 1)]
    browser_page.get_by_role("button", name="Refresh").click()
    wait_until_settled(browser_page, view="stores")
    assert read_page(browser_page).store_rows() == {"Berlin": (2, 0), "Madrid": (1, 1)}
    assert read_page(browser_page).summary == "2 stores: 3 items, 1 low on stock"


def test_loading_state_while_the_api_is_slow(browser_page: Page, site: Site) -> None:
    api = ModelApi(TWO_STORES)
    api.delay_s = 0.6
    browser_page.goto(site(api))
    browser_page.wait_for_function("() => document.body.dataset.state === 'loading'")
    assert browser_page.locator("#refresh").is_disabled()
    assert browser_page.locator("#inventory").get_attribute("aria-busy") == "true"
    assert "Loading" in browser_page.get_by_role("status").inner_text()
    assert wait_until_settled(browser_page) == "ready"
    assert browser_page.locator("#refresh").is_enabled()
    assert browser_page.locator("#inventory").get_attribute("aria-busy") == "false"


# ---------------------------------------------------------------- failures


def test_api_error_answer_is_shown_in_an_alert(browser_page: Page, site: Site) -> None:
    api = ModelApi(TWO_STORES)
    api.fail["/stores"] = (500, {"message": "Internal Server Error"})
    with serve_api(api) as api_url:
        browser_page.goto(site(api_url))
        assert wait_until_settled(browser_page) == "error"
    alert = browser_page.get_by_role("alert")
    assert alert.is_visible()
    text = alert.inner_text()
    assert f"The inventory API at {api_url}/stores answered with an error" in text
    assert "HTTP 500" in text
    assert "Internal Server Error" in text
    assert browser_page.locator("tr[data-items]").count() == 0


def test_an_error_on_a_later_page_keeps_what_is_shown_and_can_be_retried(
    browser_page: Page, site: Site
) -> None:
    api = ModelApi(MANY_STORES)
    api.fail["/stores"] = (400, {"message": "next_token is not valid"})
    api.fail_on_page = 1
    browser_page.goto(site(api))
    assert wait_until_settled(browser_page) == "ready"
    browser_page.get_by_role("button", name="Show more stores").click()
    assert wait_until_settled(browser_page) == "error"
    text = browser_page.get_by_role("alert").inner_text()
    assert "HTTP 400" in text and "next_token is not valid" in text
    assert browser_page.locator("tr[data-items]").count() == 100
    # the API recovers; the same button loads the page
    api.fail.clear()
    show_more(browser_page)
    assert read_page(browser_page).error == ""
    assert browser_page.locator("tr[data-items]").count() == 200


def test_unreachable_api_is_shown_in_an_alert(browser_page: Page, site: Site) -> None:
    with closed_port() as port:
        api_url = f"http://127.0.0.1:{port}"
        browser_page.goto(site(api_url))
        assert wait_until_settled(browser_page) == "error"
    alert = browser_page.get_by_role("alert")
    assert alert.is_visible()
    assert alert.inner_text().startswith(f"Could not reach the inventory API at {api_url}/stores: ")
    # the user can try again
    assert browser_page.locator("#refresh").is_enabled()


def test_recovers_after_the_api_comes_back(browser_page: Page, site: Site) -> None:
    api = ModelApi(TWO_STORES)
    api.fail["/stores"] = (500, {"message": "Internal Server Error"})
    browser_page.goto(site(api))
    assert wait_until_settled(browser_page) == "error"
    api.fail.clear()
    browser_page.get_by_role("button", name="Refresh").click()
    assert wait_until_settled(browser_page) == "ready"
    assert read_page(browser_page).error == ""
    assert not browser_page.locator("#error").is_visible()
    assert browser_page.locator("tr[data-items]").count() == 2


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
    url = site(ModelApi(TWO_STORES))
    assert_inventory_page(browser_page, url, TWO_STORES, threshold=5)
    browser_page.screenshot(path=str(tmp_path / "stores-desktop.png"), full_page=True)
    assert_store_filter(browser_page, "Berlin", TWO_STORES, threshold=5)
    browser_page.screenshot(path=str(tmp_path / "store-desktop.png"), full_page=True)

    browser_page.set_viewport_size({"width": 360, "height": 740})
    browser_page.screenshot(path=str(tmp_path / "store-phone.png"), full_page=True)
    assert_nothing_scrolls_sideways(browser_page)
    browser_page.get_by_role("link", name="Low stock everywhere").click()
    wait_until_settled(browser_page, view="low")
    browser_page.screenshot(path=str(tmp_path / "low-phone.png"), full_page=True)
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
