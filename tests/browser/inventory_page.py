"""Assertions on the inventory web page, for any deployment of it (local test servers, the local
cloud, AWS).

    assert_inventory_page(page, website_url, [("Berlin", "Apples", 12), ...], threshold=5)
    assert_store_filter(page, "Madrid", same_expected_rows, threshold=5)

The DOM hooks they rely on (app_inventory/web): ``body[data-state]`` is ``loading``, ``ready``,
``empty``, ``error`` or ``no-config``; ``#inventory[data-view]`` is ``stores``, ``store`` or
``low``, with ``data-scope`` (the store shown, "" otherwise) and ``data-prefix``; store rows
``tr[data-store][data-items][data-low-items]`` with a link to the store's page; item rows
``tr[data-store][data-item][data-count]`` with class ``low-stock`` and a "Low stock" badge below
the threshold; ``#more`` (the next page), ``#prefix``, ``#refresh``, ``#summary``, ``#empty``,
``#error[role=alert]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from tests.inventory_api_tables import store_summaries

if TYPE_CHECKING:
    from playwright.sync_api import Page

Row = tuple[str, str, int]

SETTLED_STATES = ("ready", "empty", "error", "no-config")
LOW_STOCK_BADGE = "Low stock"

_READ_PAGE_JS = """
() => {
  const visible = (el) => !!el && el.checkVisibility();
  const text = (el) => (el ? el.innerText.trim() : "");
  const inventory = document.getElementById("inventory");
  return {
    state: document.body.dataset.state,
    view: inventory.dataset.view,
    scope: inventory.dataset.scope,
    prefix: inventory.dataset.prefix,
    title: text(document.getElementById("view-title")),
    error: text(document.getElementById("error")),
    summary: text(document.getElementById("summary")),
    empty: visible(document.getElementById("empty")) ? text(document.getElementById("empty")) : "",
    more: visible(document.getElementById("more")),
    stores: Array.from(inventory.querySelectorAll("tr[data-items]")).map((r) => ({
      store: r.dataset.store,
      items: Number(r.dataset.items),
      low_items: Number(r.dataset.lowItems),
      link: text(r.querySelector("a")),
      href: r.querySelector("a") ? r.querySelector("a").getAttribute("href") : "",
      cells: Array.from(r.cells).map((c) => c.innerText.trim()),
      badge: visible(r.querySelector(".badge")) ? text(r.querySelector(".badge")) : "",
    })),
    items: Array.from(inventory.querySelectorAll("tr[data-item]")).map((r) => ({
      store: r.dataset.store,
      item: r.dataset.item,
      count: r.dataset.count,
      low: r.classList.contains("low-stock"),
      cells: Array.from(r.cells).map((c) => c.textContent.trim()),
      badge: visible(r.querySelector(".badge")) ? text(r.querySelector(".badge")) : "",
      visible: visible(r),
    })),
  };
}
"""


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@dataclass
class PageSnapshot:
    state: str
    view: str
    scope: str
    prefix: str
    title: str
    error: str
    summary: str
    empty: str
    more: bool
    stores: list[dict[str, Any]]
    items: list[dict[str, Any]]

    def item_rows(self) -> list[Row]:
        return [(r["store"], r["item"], int(r["count"])) for r in self.items]

    def store_rows(self) -> dict[str, tuple[int, int]]:
        return {r["store"]: (r["items"], r["low_items"]) for r in self.stores}


def read_page(page: Page) -> PageSnapshot:
    """What the page shows right now, read in one go."""
    return PageSnapshot(**page.evaluate(_READ_PAGE_JS))


def wait_until_settled(
    page: Page,
    view: str | None = None,
    scope: str | None = None,
    prefix: str | None = None,
    timeout_ms: float = 30_000,
) -> str:
    """Wait until the page has finished loading (the given view, store and prefix, when given);
    return its state."""
    page.wait_for_function(
        """([states, view, scope, prefix]) => {
             const inventory = document.getElementById("inventory");
             return states.includes(document.body.dataset.state) &&
               (view === null || inventory.dataset.view === view) &&
               (scope === null || inventory.dataset.scope === scope) &&
               (prefix === null || inventory.dataset.prefix === prefix);
           }""",
        arg=[list(SETTLED_STATES), view, scope, prefix],
        timeout=timeout_ms,
    )
    return page.evaluate("() => document.body.dataset.state")


def assert_items_shown(
    snap: PageSnapshot, expected: list[Row], threshold: int, *, with_store: bool
) -> None:
    """The item rows shown are exactly ``expected`` in that order, low stock marked exactly."""
    assert snap.state in ("ready", "empty"), (
        f"page did not load: state={snap.state!r}, message={snap.error!r}"
    )
    assert snap.error == "", f"unexpected error message: {snap.error!r}"
    assert snap.item_rows() == expected, (
        f"rows shown differ\n shown:    {snap.item_rows()}\n expected: {expected}"
    )
    for row in snap.items:
        where = f"row {row['store']}/{row['item']}"
        assert row["visible"], f"{where} is not visible"
        cells = [row["item"], row["count"]]
        if with_store:
            cells.insert(0, row["store"])
        assert row["cells"][: len(cells)] == cells, f"{where} shows {row['cells']!r}"
        should_be_low = int(row["count"]) < threshold
        assert row["low"] == should_be_low, (
            f"{where} (count {row['count']}, threshold {threshold}): low-stock class is "
            f"{'missing' if should_be_low else 'set but should not be'}"
        )
        assert row["badge"] == (LOW_STOCK_BADGE if should_be_low else ""), (
            f"{where} badge is {row['badge']!r}"
        )
    assert snap.state == ("ready" if expected else "empty")
    assert bool(snap.empty) == (not expected), f"empty-state message: {snap.empty!r}"


def assert_stores_shown(snap: PageSnapshot, expected: dict[str, tuple[int, int]]) -> None:
    """The store rows shown are exactly ``expected`` (store: items, low items), each a link to
    the store's page, a low-stock badge where it has low items."""
    assert snap.error == "", f"unexpected error message: {snap.error!r}"
    assert snap.view == "stores", f"view is {snap.view!r}"
    assert snap.store_rows() == expected, (
        f"stores shown differ\n shown:    {snap.store_rows()}\n expected: {expected}"
    )
    assert len(snap.stores) == len(expected), "a store is shown twice"
    for row in snap.stores:
        store = row["store"]
        assert row["link"] == store, f"store {store!r} has link text {row['link']!r}"
        assert row["href"] == "#/store/" + quote(store, safe="!*'()~"), row["href"]
        assert row["cells"][1] == str(row["items"]), f"{store} shows {row['cells']!r}"
        assert row["cells"][2].startswith(str(row["low_items"])), f"{store}: {row['cells']!r}"
        assert row["badge"] == (LOW_STOCK_BADGE if row["low_items"] else ""), store


def assert_inventory_page(
    page: Page,
    website_url: str,
    expected: list[Row],
    threshold: int,
    *,
    timeout_ms: float = 30_000,
) -> None:
    """Open ``website_url``: it lists the stores of ``expected`` (fewer than a page of them),
    each with its number of items and of items below ``threshold``, and no error."""
    page.goto(website_url)
    wait_until_settled(page, view="stores", timeout_ms=timeout_ms)
    assert page.title() == "Inventory", f"title is {page.title()!r}"
    snap = read_page(page)
    summaries = store_summaries(expected, threshold)
    assert_stores_shown(snap, summaries)
    items = sum(items for items, _ in summaries.values())
    low = sum(low for _, low in summaries.values())
    summary = (
        f"{_plural(len(summaries), 'store', 'stores')}: {_plural(items, 'item', 'items')}, "
        f"{low} low on stock"
    )
    assert snap.summary == summary, f"summary is {snap.summary!r}, expected {summary!r}"
    assert not snap.more, "a second page is offered for fewer stores than a page"
    if not expected:
        assert snap.state == "empty" and snap.empty, f"state {snap.state!r}, {snap.empty!r}"
    else:
        assert snap.state == "ready", f"state is {snap.state!r}"


def store_path(store: str) -> str:
    """The request path for one store, encoded as the page's encodeURIComponent does."""
    return "/items/" + quote(store, safe="!*'()~")


def open_store(page: Page, store: str, *, timeout_ms: float = 30_000) -> str:
    """On the stores list, follow ``store``'s link; wait for its first page; return the state."""
    page.locator("#inventory tr[data-items]").get_by_role("link", name=store, exact=True).click()
    return wait_until_settled(page, view="store", scope=store, prefix="", timeout_ms=timeout_ms)


def assert_store_filter(
    page: Page,
    store: str,
    expected: list[Row],
    threshold: int,
    *,
    timeout_ms: float = 30_000,
) -> None:
    """On the loaded stores list, open ``store``: the page asks GET /items/{store} and shows
    that store's rows of ``expected`` in item order (fewer than a page of them)."""

    def is_store_request(request: Any) -> bool:
        return urlsplit(request.url).path.endswith(store_path(store))

    with page.expect_request(is_store_request, timeout=timeout_ms):
        open_store(page, store, timeout_ms=timeout_ms)
    snap = read_page(page)
    rows = sorted((row for row in expected if row[0] == store), key=lambda row: row[1])
    assert_items_shown(snap, rows, threshold, with_store=False)
    assert snap.scope == store and snap.title == store
    assert snap.summary.startswith(_plural(len(rows), "item", "items")), snap.summary
    assert not snap.more, "a second page is offered for fewer items than a page"
