"""The read API's routes on the stores summary and the low-stock index, and the prefix search,
against a real moto server (the handler in-process, boto3 over HTTP through AWS_ENDPOINT_URL).

The tables are created as the module defines them (devtools/inventory_table.py): the inventory
with its sparse ``low-stock`` index (hash ``low_stock``, range ``store``), and the stores table.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from app_inventory import aws_clients
from app_inventory.items_pagination import LOW_STOCK, decode_token
from devtools.inventory_table import LOW_STOCK_INDEX, create_inventory_table
from devtools.moto_server import moto_server
from devtools.ports import free_port
from tests.conftest import load_event
from tests.inventory_api_tables import (
    create_stores_table,
    fill_tables,
    inventory_item,
    store_summaries,
)

from .api_events import call, items_request, store_request, stores_request
from .conftest import FakeLambdaContext

PORTS = range(4720, 4730)
TABLE = "inventory-123456789012-dev"
STORES_TABLE = "inventory-stores-123456789012-dev"
THRESHOLD = 5

Row = tuple[str, str, int]
ROWS: list[Row] = [
    ("Berlin", "Apples", 42),
    ("Berlin", "Apricots", 2),
    ("Berlin", "Bananas", 3),
    ("Berlin", "Eggs", 0),
    ("Berlin", "apple juice", 7),
    ("Lisbon", "Bacalhau", 12),
    ("Madrid", "Jamon", 5),
    ("Madrid", "Manchego", 2),
    ("São Paulo", "Açaí", 1),
    ("São Paulo", "Açúcar", 30),
    ("Wien", "Apfelstrudel", 4),
]


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with moto_server(free_port(PORTS), log) as endpoint:
        yield endpoint


class Tables:
    def __init__(self, inventory: Any, stores: Any) -> None:
        self.inventory = inventory
        self.stores = stores

    def fill(self, rows: list[Row]) -> None:
        fill_tables(self.inventory, self.stores, rows, THRESHOLD)


@pytest.fixture
def tables(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tables]:
    """Empty tables on a freshly reset moto server, and the handler's environment."""
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    environment = {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": TABLE,
        "STORES_TABLE_NAME": STORES_TABLE,
        "LOW_STOCK_INDEX_NAME": LOW_STOCK_INDEX,
        "POWERTOOLS_SERVICE_NAME": "inventory",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    aws_clients.reset()
    dynamodb = boto3.resource("dynamodb")
    inventory = create_inventory_table(dynamodb, TABLE)
    stores = create_stores_table(dynamodb, STORES_TABLE)
    yield Tables(inventory, stores)
    aws_clients.reset()


@pytest.fixture
def operations(tables: Tables) -> list[tuple[str, str, str | None]]:
    """The DynamoDB calls the handler makes: (operation, table, index)."""
    called: list[tuple[str, str, str | None]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        called.append((model.name, params.get("TableName", ""), params.get("IndexName")))

    for table in (aws_clients.inventory_table(), aws_clients.stores_table()):
        table.meta.client.meta.events.register("before-parameter-build.dynamodb.*", record)
    return called


def read_all(
    request: Callable[..., dict[str, Any]],
    context: FakeLambdaContext,
    field: str,
    **query: str,
) -> list[list[dict[str, Any]]]:
    """Every page of a listing, following next_token; the pages' ``field`` lists."""
    pages: list[list[dict[str, Any]]] = []
    token = None
    for _ in range(100):
        status, body = call(request(**query, **({"next_token": token} if token else {})), context)
        assert status == 200, body
        pages.append(body[field])
        token = body["next_token"]
        if token is None:
            return pages
    raise AssertionError("the listing never ended")


def as_rows(items: list[dict[str, Any]]) -> list[Row]:
    assert all(set(item) == {"store", "item", "count"} for item in items), items
    assert all(type(item["count"]) is int for item in items)
    return [(item["store"], item["item"], item["count"]) for item in items]


# ---------------------------------------------------------------- GET /stores


def test_stores_lists_every_store_with_its_counts_a_page_at_a_time(
    tables: Tables,
    lambda_context: FakeLambdaContext,
    operations: list[tuple[str, str, str | None]],
) -> None:
    # GIVEN five stores in the inventory and in the summary table
    tables.fill(ROWS)
    # WHEN GET /stores is read in pages of two
    pages = read_all(stores_request, lambda_context, "stores", limit="2")
    # THEN every store comes once with its item and low-stock counts, as JSON integers
    assert [len(page) for page in pages if page] == [2, 2, 1]
    shown = {s["store"]: (s["items"], s["low_items"]) for page in pages for s in page}
    assert shown == store_summaries(ROWS, THRESHOLD)
    assert shown["Berlin"] == (5, 3)
    assert all(set(s) == {"store", "items", "low_items"} for page in pages for s in page)
    assert all(type(s["items"]) is int for page in pages for s in page)
    # AND only the small summary table was read, by Scan
    assert {(op, table) for op, table, _ in operations} == {("Scan", STORES_TABLE)}


def test_recorded_stores_event_returns_a_first_page(
    tables: Tables, lambda_context: FakeLambdaContext
) -> None:
    tables.fill(ROWS)
    status, body = call(load_event("apigw_http_get_stores"), lambda_context)
    assert status == 200
    assert len(body["stores"]) == 2 and isinstance(body["next_token"], str)


def test_a_store_whose_items_were_all_removed_is_not_listed(
    tables: Tables, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN the summary of a store that the stream has counted down to no items
    tables.fill(ROWS)
    tables.stores.put_item(Item={"store": "Emptied", "items": 0, "low_items": 0, "last_seq": "9"})
    # WHEN GET /stores is read in pages of one
    pages = read_all(stores_request, lambda_context, "stores", limit="1")
    # THEN the emptied store is not among them, and every other store still is
    shown = {s["store"] for page in pages for s in page}
    assert shown == set(store_summaries(ROWS, THRESHOLD))


def test_no_stores_is_an_empty_list(tables: Tables, lambda_context: FakeLambdaContext) -> None:
    assert call(stores_request(), lambda_context) == (200, {"stores": [], "next_token": None})


# ---------------------------------------------------------------- GET /items?low_stock=true


def test_low_stock_lists_exactly_the_low_items_by_store_from_the_index(
    tables: Tables,
    lambda_context: FakeLambdaContext,
    operations: list[tuple[str, str, str | None]],
) -> None:
    # GIVEN items above and below the threshold in five stores
    tables.fill(ROWS)
    # WHEN GET /items?low_stock=true is read in pages of two
    pages = read_all(items_request, lambda_context, "items", low_stock="true", limit="2")
    # THEN the pages hold each low item once, in store order, and nothing else
    rows = [row for page in pages for row in as_rows(page)]
    low = [row for row in ROWS if row[2] < THRESHOLD]
    assert sorted(rows) == sorted(low)
    assert [store for store, _, _ in rows] == sorted(store for store, _, _ in low)
    assert [len(page) for page in pages if page] == [2, 2, 2]
    # AND every call was a Query on the low-stock index, never a Scan
    assert set(operations) == {("Query", TABLE, LOW_STOCK_INDEX)}


def test_the_low_stock_token_resumes_from_the_index_key(
    tables: Tables, lambda_context: FakeLambdaContext
) -> None:
    tables.fill(ROWS)
    status, body = call(items_request(low_stock="true", limit="3"), lambda_context)
    assert status == 200
    # The token stands for the index's LastEvaluatedKey: its keys and the table's.
    key = decode_token(body["next_token"], LOW_STOCK)
    last = body["items"][-1]
    assert key == {"low_stock": "LOW", "store": last["store"], "item": last["item"]}


def test_an_item_restocked_above_the_threshold_leaves_the_index(
    tables: Tables, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN Madrid/Manchego low, then written again with 20 (PutItem without low_stock)
    tables.fill(ROWS)
    tables.inventory.put_item(Item=inventory_item("Madrid", "Manchego", 20, THRESHOLD))
    # WHEN the low-stock listing is read
    pages = read_all(items_request, lambda_context, "items", low_stock="true")
    # THEN Manchego is gone from it
    rows = [row for page in pages for row in as_rows(page)]
    assert ("Madrid", "Manchego", 2) not in rows
    assert len(rows) == len([row for row in ROWS if row[2] < THRESHOLD]) - 1


def test_recorded_low_stock_event_and_low_stock_false(
    tables: Tables, lambda_context: FakeLambdaContext
) -> None:
    tables.fill(ROWS)
    status, body = call(load_event("apigw_http_get_low_stock_items"), lambda_context)
    assert status == 200
    assert [item["store"] for item in body["items"]] == ["Berlin", "Berlin"]
    assert all(item["count"] < THRESHOLD for item in body["items"])
    # low_stock=false is the plain listing of every item
    pages = read_all(items_request, lambda_context, "items", low_stock="false", limit="100")
    assert sorted(row for page in pages for row in as_rows(page)) == sorted(ROWS)


# ---------------------------------------------------------------- GET /items/{store}?prefix=


def test_prefix_pages_through_the_matching_items_of_one_store(
    tables: Tables,
    lambda_context: FakeLambdaContext,
    operations: list[tuple[str, str, str | None]],
) -> None:
    # GIVEN Berlin with Apples, Apricots, Bananas, Eggs, apple juice, and Wien's Apfelstrudel
    tables.fill(ROWS)

    def berlin(**query: str) -> dict[str, Any]:
        return store_request("Berlin", **query)

    # WHEN the prefix "Ap" is read a page of one at a time
    pages = read_all(berlin, lambda_context, "items", prefix="Ap", limit="1")
    # THEN exactly Berlin's items beginning with "Ap" (case counts) come, in item order
    rows = [row for page in pages for row in as_rows(page)]
    assert rows == [("Berlin", "Apples", 42), ("Berlin", "Apricots", 2)]
    # AND it was a Query on the table's key, never a Scan or an index
    assert set(operations) == {("Query", TABLE, None)}


@pytest.mark.parametrize(
    ("store", "prefix", "items"),
    [
        ("Berlin", "", ["Apples", "Apricots", "Bananas", "Eggs", "apple juice"]),
        ("Berlin", "apple", ["apple juice"]),
        ("Berlin", "Apples", ["Apples"]),
        ("Berlin", "Zz", []),
        ("São Paulo", "Aç", ["Açaí", "Açúcar"]),
        ("São Paulo", "Açú", ["Açúcar"]),
        ("Lisbon", "Ap", []),
    ],
)
def test_prefix_matches(
    tables: Tables, lambda_context: FakeLambdaContext, store: str, prefix: str, items: list[str]
) -> None:
    tables.fill(ROWS)
    status, body = call(store_request(store, prefix=prefix), lambda_context)
    assert status == 200
    assert [item for _, item, _ in as_rows(body["items"])] == items


def test_a_prefix_of_1024_bytes_is_accepted_and_one_byte_more_refused(
    tables: Tables, lambda_context: FakeLambdaContext
) -> None:
    tables.fill(ROWS)
    assert call(store_request("Berlin", prefix="A" * 1024), lambda_context) == (
        200,
        {"items": [], "next_token": None},
    )
    assert call(store_request("Berlin", prefix="é" * 512 + "x"), lambda_context) == (
        400,
        {"message": "prefix is longer than 1024 bytes"},
    )


# ---------------------------------------------------------------- tokens across listings


def first_token(event: dict[str, Any], context: FakeLambdaContext) -> str:
    status, body = call(event, context)
    assert status == 200 and isinstance(body["next_token"], str), body
    return body["next_token"]


@pytest.mark.parametrize(
    ("made_by", "used_by"),
    [
        (lambda: stores_request(limit="1"), lambda: items_request()),
        (lambda: stores_request(limit="1"), lambda: store_request("Berlin")),
        (lambda: items_request(limit="1"), lambda: stores_request()),
        (lambda: items_request(limit="1"), lambda: items_request(low_stock="true")),
        (lambda: items_request(low_stock="true", limit="1"), lambda: items_request()),
        (lambda: items_request(low_stock="true", limit="1"), lambda: store_request("Berlin")),
        (lambda: store_request("Berlin", limit="1"), lambda: store_request("Berlin", prefix="A")),
        (lambda: store_request("Berlin", prefix="Ap", limit="1"), lambda: store_request("Berlin")),
        (
            lambda: store_request("Berlin", prefix="Ap", limit="1"),
            lambda: store_request("Berlin", prefix="A"),
        ),
        (
            lambda: store_request("Berlin", prefix="A", limit="1"),
            lambda: store_request("Wien", prefix="A"),
        ),
    ],
    ids=[
        "stores->items",
        "stores->store",
        "items->stores",
        "items->low",
        "low->items",
        "low->store",
        "store->prefix",
        "prefix->store",
        "prefix->other-prefix",
        "prefix->other-store",
    ],
)
def test_a_token_is_refused_by_every_other_listing(
    tables: Tables,
    lambda_context: FakeLambdaContext,
    made_by: Callable[[], dict[str, Any]],
    used_by: Callable[[], dict[str, Any]],
) -> None:
    tables.fill(ROWS)
    token = first_token(made_by(), lambda_context)
    event = used_by()
    event["queryStringParameters"] = (event["queryStringParameters"] or {}) | {"next_token": token}
    assert call(event, lambda_context) == (
        400,
        {"message": "next_token belongs to another listing"},
    )


# ---------------------------------------------------------------- bad parameters


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (lambda: items_request(low_stock="maybe"), "low_stock must be true or false, got 'maybe'"),
        (lambda: items_request(low_stock="TRUE"), "low_stock must be true or false, got 'TRUE'"),
        (
            lambda: items_request(prefix="Ap"),
            "prefix searches within one store: GET /items/{store}?prefix=",
        ),
        (
            lambda: store_request("Berlin", low_stock="true"),
            "low_stock lists every store: GET /items?low_stock=true",
        ),
        (lambda: stores_request(limit="0"), "limit must be from 1 to 100, got 0"),
        (lambda: stores_request(next_token="%%%"), "next_token is not valid"),
        (
            lambda: items_request(low_stock="true", limit="x"),
            "limit must be a whole number from 1 to 100",
        ),
        (
            lambda: items_request(low_stock="true", next_token="bm90IGpzb24"),
            "next_token is not valid",
        ),
    ],
)
def test_bad_parameters_are_a_400_with_a_reason(
    tables: Tables,
    lambda_context: FakeLambdaContext,
    event: Callable[[], dict[str, Any]],
    message: str,
) -> None:
    assert call(event(), lambda_context) == (400, {"message": message})
