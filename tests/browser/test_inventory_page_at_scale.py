"""The inventory page on 1,000 stores x 1,000 items, through the real handler on moto.

The page is served as deployed; the API is ``get_inventory_api.handler`` behind HTTP
(``servers.HandlerApi``), talking to a moto server that holds a million real table items, their
sparse low-stock index and the stores summary (``filled_moto``, filled in its own process in
about 30-40 s). What is measured: the API requests and the time until the stores list, and then
one store's first page, are painted. Times are printed (run with ``-s``) and bounded generously;
the request counts are the point: they do not grow with the table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from app_inventory import aws_clients
from devtools.inventory_table import LOW_STOCK_INDEX
from devtools.ports import free_port
from tests.browser.filled_moto import filled_moto_server, item_count, item_name, store_name
from tests.browser.inventory_page import assert_items_shown, read_page, wait_until_settled
from tests.browser.servers import PORTS, HandlerApi, serve_api, serve_website

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

STORES = 1000
ITEMS = 1000
THRESHOLD = 5
PAGE = 100
MAX_REQUESTS = 2  # per first paint
MAX_SECONDS = 5.0  # per first paint: generous, this machine is shared
TABLE = "inventory-scale"
STORES_TABLE = "inventory-scale-stores"


@pytest.fixture(scope="module")
def million_item_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HandlerApi, str]]:
    """The real handler over HTTP, on a moto server holding 1,000 x 1,000 items."""
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with filled_moto_server(
        free_port(PORTS),
        log,
        stores=STORES,
        items=ITEMS,
        threshold=THRESHOLD,
        table=TABLE,
        stores_table=STORES_TABLE,
    ) as (endpoint, seconds):
        print(f"\nmoto filled with {STORES * ITEMS:,} items in {seconds:.1f} s")
        with pytest.MonkeyPatch.context() as environment:
            for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
                environment.delenv(name, raising=False)
            for name, value in {
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": "us-east-1",
                "TABLE_NAME": TABLE,
                "STORES_TABLE_NAME": STORES_TABLE,
                "LOW_STOCK_INDEX_NAME": LOW_STOCK_INDEX,
                "LOW_STOCK_THRESHOLD": str(THRESHOLD),
                "POWERTOOLS_SERVICE_NAME": "inventory",
                "POWERTOOLS_LOG_LEVEL": "WARNING",
            }.items():
                environment.setenv(name, value)
            aws_clients.reset()
            api = HandlerApi()
            try:
                with serve_api(api) as api_url:
                    yield api, api_url
            finally:
                aws_clients.reset()


@pytest.fixture
def website(million_item_api: tuple[HandlerApi, str], tmp_path: Path) -> Iterator[str]:
    config = {"apiUrl": million_item_api[1], "lowStockThreshold": THRESHOLD}
    with serve_website(tmp_path / "site", config) as url:
        yield url


def low_items(store: int) -> int:
    return sum(1 for i in range(ITEMS) if item_count(store, i) < THRESHOLD)


def timed(api: HandlerApi, action: str, step: Callable[[], None]) -> tuple[float, int]:
    """Run ``step`` (which waits for the page to settle); its seconds and API requests."""
    api.requests.clear()
    started = time.perf_counter()
    step()
    seconds = time.perf_counter() - started
    print(f"{action}: {seconds:.2f} s, {len(api.requests)} API request(s)")
    return seconds, len(api.requests)


def test_first_paint_takes_one_page_of_requests_at_a_million_items(
    browser_page: Page, million_item_api: tuple[HandlerApi, str], website: str, tmp_path: Path
) -> None:
    api, url = million_item_api[0], website

    # WHEN the page opens THEN the first page of stores is painted with their counts
    def open_page() -> None:
        browser_page.goto(url)
        wait_until_settled(browser_page, view="stores")

    seconds, requests = timed(api, "first paint of the store list", open_page)
    snap = read_page(browser_page)
    assert snap.state == "ready", snap.error
    assert snap.store_rows() == {store_name(s): (ITEMS, low_items(s)) for s in range(PAGE)}
    assert snap.more
    assert requests <= MAX_REQUESTS and seconds < MAX_SECONDS
    browser_page.screenshot(path=str(tmp_path / "scale-stores.png"))

    # WHEN a store is opened THEN its first page of items is painted, low stock marked
    store = 42

    def open_store() -> None:
        browser_page.get_by_role("link", name=store_name(store), exact=True).click()
        wait_until_settled(browser_page, view="store", scope=store_name(store))

    seconds, requests = timed(api, "first paint of one store's items", open_store)
    first_page = [(store_name(store), item_name(i), item_count(store, i)) for i in range(PAGE)]
    snap = read_page(browser_page)
    assert_items_shown(snap, first_page, THRESHOLD, with_store=False)
    counts = f"1000 items in {store_name(store)}, {low_items(store)} low on stock"
    assert snap.summary == f"{counts}; 100 shown, more to load"
    assert requests <= MAX_REQUESTS and seconds < MAX_SECONDS
    browser_page.screenshot(path=str(tmp_path / "scale-store.png"))

    # AND the next page comes on demand, one request
    def more() -> None:
        browser_page.get_by_role("button", name="Show more items").click()
        browser_page.wait_for_function(
            f"() => document.querySelectorAll('tr[data-item]').length === {2 * PAGE}"
        )
        wait_until_settled(browser_page)

    _, requests = timed(api, "second page of the store", more)
    assert requests == 1

    # WHEN an item-name prefix is typed THEN the matching items come, one request
    def search() -> None:
        browser_page.get_by_label("Item name starts with").fill("item-09")
        wait_until_settled(browser_page, view="store", prefix="item-09")

    seconds, requests = timed(api, "prefix search in the store", search)
    rows = [(store_name(store), item_name(i), item_count(store, i)) for i in range(900, 1000)]
    assert_items_shown(read_page(browser_page), rows, THRESHOLD, with_store=False)
    assert requests == 1 and seconds < MAX_SECONDS

    # WHEN "low stock everywhere" is opened THEN a first page of low items is painted
    def low_stock() -> None:
        browser_page.get_by_role("link", name="Low stock everywhere").click()
        wait_until_settled(browser_page, view="low")

    # moto builds the index's answer from every item of the table (about 1.5 s here at a
    # million); DynamoDB reads the index alone. Printed, bounded loosely.
    seconds, requests = timed(api, "first paint of low stock everywhere", low_stock)
    snap = read_page(browser_page)
    low = sorted(
        (store_name(s), item_name(i), item_count(s, i))
        for s in range(3)
        for i in range(ITEMS)
        if item_count(s, i) < THRESHOLD
    )[:PAGE]
    assert sorted(snap.item_rows()) == low
    assert requests <= MAX_REQUESTS and seconds < 4 * MAX_SECONDS
    browser_page.screenshot(path=str(tmp_path / "scale-low.png"))
    handler = sorted(api.handler_seconds)
    print(f"handler time per request: median {handler[len(handler) // 2]:.3f} s")
