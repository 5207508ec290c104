"""Assertions on the inventory web page, for any deployment of it (local test servers, the local
cloud, AWS).

    assert_inventory_page(page, website_url, [("Berlin", "Apples", 12), ...], threshold=5)
    assert_store_filter(page, "Madrid", same_expected_rows, threshold=5)

The DOM hooks they rely on (app_inventory/web): ``body[data-state]`` is ``loading``, ``ready``,
``empty``, ``error`` or ``no-config``; ``#inventory[data-scope]`` is the store whose rows are shown
("" for all); one ``section[data-store]`` per store; rows ``tr[data-store][data-item][data-count]``
with class ``low-stock`` and a "Low stock" badge below the threshold; ``#store-filter``,
``#refresh``, ``#summary``, ``#empty``, ``#error[role=alert]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Page

Row = tuple[str, str, int]

SETTLED_STATES = ("ready", "empty", "error", "no-config")
LOW_STOCK_BADGE = "Low stock"

_READ_PAGE_JS = """
() => {
  const visible = (el) => !!el && el.checkVisibility();
  const text = (el) => (el ? el.innerText.trim() : "");
  return {
    state: document.body.dataset.state,
    scope: document.getElementById("inventory").dataset.scope,
    error: text(document.getElementById("error")),
    summary: text(document.getElementById("summary")),
    empty: visible(document.getElementById("empty")) ? text(document.getElementById("empty")) : "",
    options: Array.from(document.getElementById("store-filter").options).map((o) => o.text),
    sections: Array.from(document.querySelectorAll("#inventory section[data-store]")).map((s) => ({
      store: s.dataset.store,
      heading: text(s.querySelector("h2")),
      rows: Array.from(s.querySelectorAll("tr[data-item]")).map((r) => ({
        store: r.dataset.store,
        item: r.dataset.item,
        count: r.dataset.count,
        low: r.classList.contains("low-stock"),
        cells: Array.from(r.cells).map((c) => c.textContent.trim()),
        badge: visible(r.querySelector(".badge")) ? text(r.querySelector(".badge")) : "",
        visible: visible(r),
      })),
    })),
    strayRows: document.querySelectorAll("tr[data-item]").length -
      document.querySelectorAll("#inventory section[data-store] tr[data-item]").length,
  };
}
"""


def name_order(name: str) -> tuple[str, str]:
    """The page's sort order for stores and items: case-insensitive, then exact."""
    return (name.lower(), name)


def expected_layout(expected: list[Row]) -> list[tuple[str, list[tuple[str, int]]]]:
    """Stores in page order, each with its (item, count) rows in page order."""
    stores = sorted({store for store, _, _ in expected}, key=name_order)
    return [
        (
            store,
            sorted(
                ((item, count) for s, item, count in expected if s == store),
                key=lambda row: name_order(row[0]),
            ),
        )
        for store in stores
    ]


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@dataclass
class PageSnapshot:
    state: str
    scope: str
    error: str
    summary: str
    empty: str
    options: list[str]
    sections: list[dict[str, Any]]
    stray_rows: int


def read_page(page: Page) -> PageSnapshot:
    """What the page shows right now, read in one go."""
    raw = page.evaluate(_READ_PAGE_JS)
    return PageSnapshot(
        state=raw["state"],
        scope=raw["scope"],
        error=raw["error"],
        summary=raw["summary"],
        empty=raw["empty"],
        options=raw["options"],
        sections=raw["sections"],
        stray_rows=raw["strayRows"],
    )


def wait_until_settled(page: Page, scope: str | None = None, timeout_ms: float = 30_000) -> str:
    """Wait until the page has finished loading (for ``scope``, when given); return its state."""
    page.wait_for_function(
        """([states, scope]) => states.includes(document.body.dataset.state) &&
             (scope === null || document.getElementById("inventory").dataset.scope === scope)""",
        arg=[list(SETTLED_STATES), scope],
        timeout=timeout_ms,
    )
    return page.evaluate("() => document.body.dataset.state")


def _assert_shown(snap: PageSnapshot, expected: list[Row], threshold: int) -> None:
    """The rows shown are exactly ``expected``, grouped and sorted, low stock marked exactly."""
    assert snap.state in ("ready", "empty"), (
        f"page did not load the inventory: state={snap.state!r}, message={snap.error!r}"
    )
    assert snap.error == "", f"unexpected error message: {snap.error!r}"
    assert snap.stray_rows == 0, "item rows outside a store section"

    layout = expected_layout(expected)
    shown_layout = [
        (s["store"], [(r["item"], int(r["count"])) for r in s["rows"]]) for s in snap.sections
    ]
    assert shown_layout == layout, (
        f"rows shown differ from the expected rows\n shown:    {shown_layout}\n expected: {layout}"
    )

    for section in snap.sections:
        store = section["store"]
        assert section["heading"] == store, f"section heading {section['heading']!r} != {store!r}"
        for row in section["rows"]:
            where = f"row {store}/{row['item']}"
            assert row["store"] == store, f"{where} carries data-store={row['store']!r}"
            assert row["visible"], f"{where} is not visible"
            assert row["cells"][:3] == [store, row["item"], row["count"]], (
                f"{where} shows {row['cells']!r}"
            )
            should_be_low = int(row["count"]) < threshold
            assert row["low"] == should_be_low, (
                f"{where} (count {row['count']}, threshold {threshold}): low-stock class is "
                f"{'missing' if should_be_low else 'set but should not be'}"
            )
            if should_be_low:
                assert row["badge"] == LOW_STOCK_BADGE, f"{where} has no visible low-stock badge"
            else:
                assert row["badge"] == "", f"{where} shows a badge {row['badge']!r}"

    if not expected:
        assert snap.state == "empty", f"state is {snap.state!r} with no items"
        assert snap.empty, "no empty-state message is shown"
    else:
        assert snap.state == "ready", f"state is {snap.state!r} with {len(expected)} items"
        assert snap.empty == "", f"empty-state message shown with items: {snap.empty!r}"


def assert_inventory_page(
    page: Page,
    website_url: str,
    expected: list[Row],
    threshold: int,
    *,
    timeout_ms: float = 30_000,
) -> None:
    """Open ``website_url`` and check that it shows exactly ``expected`` (all stores).

    Checks: title, one section per store in order, exactly the expected rows in order, the
    ``low-stock`` class and badge on exactly the rows with count < ``threshold``, the summary
    line, the store filter's options, and no error message.
    """
    page.goto(website_url)
    wait_until_settled(page, scope="", timeout_ms=timeout_ms)
    assert page.title() == "Inventory", f"title is {page.title()!r}"
    snap = read_page(page)
    _assert_shown(snap, expected, threshold)

    stores = [store for store, _ in expected_layout(expected)]
    low = sum(1 for _, _, count in expected if count < threshold)
    summary = (
        f"{_plural(len(expected), 'item', 'items')} in {_plural(len(stores), 'store', 'stores')}, "
        f"{low} low on stock"
    )
    assert snap.summary == summary, f"summary is {snap.summary!r}, expected {summary!r}"
    assert snap.options == ["All stores", *stores], f"store filter offers {snap.options!r}"


def store_path(store: str) -> str:
    """The request path for one store, encoded as the page's encodeURIComponent does."""
    return "/items/" + quote(store, safe="!*'()~")


def select_store(page: Page, store: str | None, *, timeout_ms: float = 30_000) -> str:
    """Choose ``store`` in the filter (None: all stores), wait for its load; return the state."""
    page.select_option("#store-filter", value=store or "")
    return wait_until_settled(page, scope=store or "", timeout_ms=timeout_ms)


def assert_store_filter(
    page: Page,
    store: str,
    expected: list[Row],
    threshold: int,
    *,
    timeout_ms: float = 30_000,
) -> None:
    """On a loaded page, choose ``store``: the page asks GET /items/{store} and shows only the
    rows of ``expected`` for that store (``expected`` may hold every store's rows)."""

    def is_store_request(request: Any) -> bool:
        return urlsplit(request.url).path.endswith(store_path(store))

    with page.expect_request(is_store_request, timeout=timeout_ms):
        select_store(page, store, timeout_ms=timeout_ms)
    snap = read_page(page)
    rows = [row for row in expected if row[0] == store]
    _assert_shown(snap, rows, threshold)
    low = sum(1 for _, _, count in rows if count < threshold)
    summary = f"{_plural(len(rows), 'item', 'items')} in {store}, {low} low on stock"
    assert snap.summary == summary, f"summary is {snap.summary!r}, expected {summary!r}"
    assert snap.scope == store
