"""The HTTP API handler (payload format 2.0) on moto: GET /items and GET /items/{store},
pagination, 400s and 404s. The routes on the summary table and the low-stock index are in
test_read_api_routes.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from app_inventory import aws_clients
from app_inventory.items_pagination import ALL_ITEMS, encode_token
from tests.conftest import load_event

from .api_events import call, items_request, store_request
from .conftest import FakeLambdaContext, InventoryStack

SAMPLE_ROWS = [
    ("Berlin", "Apples", 42),
    ("Berlin", "Bananas", 3),
    ("Berlin", "Eggs", 0),
    ("Madrid", "Jamon", 5),
    ("Madrid", "Manchego", 2),
]


@pytest.fixture
def operations(stack: InventoryStack) -> Iterator[list[str]]:
    """The DynamoDB operations the handler calls, in order."""
    called: list[str] = []
    events = aws_clients.inventory_table().meta.client.meta.events
    events.register("before-call.dynamodb.*", lambda model, **_: called.append(model.name))
    yield called


def test_recorded_items_event_returns_a_first_page_with_int_counts(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN five items, and the recorded GET /items?limit=2 event
    stack.put_items(*SAMPLE_ROWS)
    # WHEN handled
    status, body = call(load_event("apigw_http_get_items"), lambda_context)
    # THEN a page of two items with JSON integer counts and a token for the rest
    assert status == 200
    assert len(body["items"]) == 2
    assert all(set(item) == {"store", "item", "count"} for item in body["items"])
    assert all(type(item["count"]) is int for item in body["items"])
    assert isinstance(body["next_token"], str)


def test_following_next_token_lists_every_item_once(
    stack: InventoryStack, lambda_context: FakeLambdaContext, operations: list[str]
) -> None:
    # GIVEN five items
    stack.put_items(*SAMPLE_ROWS)
    # WHEN all pages of two are read by following next_token
    seen, token, pages = [], None, 0
    while True:
        query = {"limit": "2"} | ({"next_token": token} if token else {})
        status, body = call(items_request(**query), lambda_context)
        assert status == 200
        seen += [(i["store"], i["item"], i["count"]) for i in body["items"]]
        pages += 1
        token = body["next_token"]
        if token is None:
            break
    # THEN every item came exactly once, by Scan
    assert sorted(seen) == sorted(SAMPLE_ROWS)
    assert pages >= 3
    assert set(operations) == {"Scan"}


def test_default_limit_is_50(stack: InventoryStack, lambda_context: FakeLambdaContext) -> None:
    stack.put_items(*[("Hamburg", f"item-{n:03d}", n) for n in range(60)])
    status, body = call(items_request(), lambda_context)
    assert (status, len(body["items"])) == (200, 50)


def test_store_route_queries_the_partition_and_pages_through_it(
    stack: InventoryStack, lambda_context: FakeLambdaContext, operations: list[str]
) -> None:
    # GIVEN a store with 120 items, among other stores' items
    hamburg = [("Hamburg", f"item-{n:03d}", n) for n in range(120)]
    stack.put_items(*SAMPLE_ROWS, *hamburg)
    # WHEN GET /items/Hamburg is read page by page (limit 50)
    pages: list[list[tuple[str, str, int]]] = []
    token = None
    while True:
        query = {"limit": "50"} | ({"next_token": token} if token else {})
        status, body = call(store_request("Hamburg", **query), lambda_context)
        assert status == 200
        pages.append([(i["store"], i["item"], i["count"]) for i in body["items"]])
        token = body["next_token"]
        if token is None or not body["items"]:
            break
    # THEN the pages hold exactly the store's items in item order, 50 + 50 + 20
    assert [len(page) for page in pages[:3]] == [50, 50, 20]
    assert [row for page in pages for row in page] == hamburg
    # AND it was a Query on the key every time, never a Scan
    assert operations and set(operations) == {"Query"}


def test_recorded_store_event_returns_that_store_only(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    stack.put_items(*SAMPLE_ROWS)
    status, body = call(load_event("apigw_http_get_store_items"), lambda_context)
    assert status == 200
    assert body == {
        "items": [
            {"store": "Berlin", "item": "Apples", "count": 42},
            {"store": "Berlin", "item": "Bananas", "count": 3},
            {"store": "Berlin", "item": "Eggs", "count": 0},
        ],
        "next_token": None,
    }


def test_store_names_with_spaces_and_accents(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    # GIVEN a store "São Paulo 2" (the raw path is percent-encoded)
    stack.put_items(("São Paulo 2", "Coffee", 9))
    event = store_request("São Paulo 2")
    assert event["rawPath"] == "/items/S%C3%A3o%20Paulo%202"
    # WHEN requested, with and without API Gateway's decoded pathParameters
    with_parameters = call(event, lambda_context)
    event["pathParameters"] = None
    from_raw_path = call(event, lambda_context)
    # THEN both find it
    expected = {"items": [{"store": "São Paulo 2", "item": "Coffee", "count": 9}]}
    assert with_parameters == from_raw_path == (200, expected | {"next_token": None})


def test_unknown_store_is_an_empty_list(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    stack.put_items(*SAMPLE_ROWS)
    assert call(store_request("Lisbon"), lambda_context) == (
        200,
        {"items": [], "next_token": None},
    )


@pytest.mark.parametrize("limit", ["0", "101", "-3", "abc", "2.5", ""])
def test_bad_limit_is_a_400_with_a_reason(
    stack: InventoryStack, lambda_context: FakeLambdaContext, limit: str
) -> None:
    for event in (items_request(limit=limit), store_request("Berlin", limit=limit)):
        status, body = call(event, lambda_context)
        if limit == "":
            assert status == 200  # an empty limit means the default
        else:
            assert status == 400
            assert body["message"].startswith("limit must be")


@pytest.mark.parametrize("token", ["%%%", "bm90IGpzb24", "eyJzdG9yZSI6IkJlcmxpbiJ9", "x" * 9000])
def test_bad_token_is_a_400_with_a_reason(
    stack: InventoryStack, lambda_context: FakeLambdaContext, token: str
) -> None:
    for event in (items_request(next_token=token), store_request("Berlin", next_token=token)):
        assert call(event, lambda_context) == (400, {"message": "next_token is not valid"})


def test_a_token_from_one_store_is_refused_for_another(
    stack: InventoryStack, lambda_context: FakeLambdaContext
) -> None:
    stack.put_items(*SAMPLE_ROWS)
    _, body = call(store_request("Berlin", limit="1"), lambda_context)
    status, refused = call(store_request("Madrid", next_token=body["next_token"]), lambda_context)
    assert (status, refused) == (400, {"message": "next_token belongs to another listing"})


def test_a_start_key_dynamodb_refuses_is_a_400_not_a_500(
    stack: InventoryStack, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a well-formed token that DynamoDB still refuses as a start key
    def refuse(**_: Any) -> Any:
        error = {"Error": {"Code": "ValidationException", "Message": "bad start key"}}
        raise ClientError(error, "Scan")  # type: ignore[arg-type]

    monkeypatch.setattr(aws_clients.inventory_table(), "scan", refuse)
    token = encode_token({"store": "Berlin", "item": "Milk"}, ALL_ITEMS)
    assert token is not None
    # WHEN used
    # THEN the caller gets a 400 with a reason
    assert call(items_request(next_token=token), lambda_context) == (
        400,
        {"message": "next_token is not valid"},
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/shops"),
        ("GET", "/items/Berlin/extra"),
        ("POST", "/items"),
        ("GET", "/stores/Berlin"),
    ],
)
def test_unknown_route_is_a_404(
    stack: InventoryStack, lambda_context: FakeLambdaContext, method: str, path: str
) -> None:
    event = items_request()
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["routeKey"] = "$default"
    status, body = call(event, lambda_context)
    assert status == 404
    assert body["message"] == (
        "Not found: the API serves GET /stores, GET /items and GET /items/{store}"
    )
