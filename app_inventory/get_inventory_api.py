"""Lambda: the read API behind the HTTP API (payload format 2.0).

Handler: ``app_inventory.get_inventory_api.handler``; environment: ``TABLE_NAME``,
``STORES_TABLE_NAME``, ``LOW_STOCK_INDEX_NAME``.

- ``GET /stores?limit=&next_token=``: each store with its item and low-stock counts (Scan of the
  small stores summary table, which the stream keeps up to date):
  ``{"stores": [{"store", "items", "low_items"}], "next_token"}``.
- ``GET /items?limit=&next_token=``: all items, a page at a time (Scan).
- ``GET /items?low_stock=true&limit=&next_token=``: the items below the threshold, by store
  (Query on the sparse ``low-stock`` index, which holds only them).
- ``GET /items/{store}?limit=&next_token=&prefix=``: one store's items in item order (Query on
  the partition key; ``prefix`` narrows it to the item names that begin with it).

Item listings answer ``{"items": [{"store", "item", "count"}], "next_token": str | null}``. A
``next_token`` only continues the listing that gave it; bad parameters answer 400
``{"message": reason}``. CORS headers come from the HTTP API's own CORS configuration, not from
here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from app_inventory import aws_clients
from app_inventory.inventory_csv import MAX_STORE_BYTES
from app_inventory.item_pages import ItemsPage, low_stock_page, scan_page, store_page
from app_inventory.items_pagination import (
    ALL_ITEMS,
    LOW_STOCK,
    STORES,
    InvalidParameter,
    Listing,
    decode_token,
    encode_token,
    parse_limit,
    parse_low_stock,
    parse_prefix,
    store_items,
)
from app_inventory.store_pages import stores_page

logger = Logger()
app = APIGatewayHttpResolver()


@app.get("/stores")
def list_stores() -> dict[str, Any]:
    limit = parse_limit(_query("limit"))
    start_key = decode_token(_query("next_token"), STORES)
    page = stores_page(aws_clients.stores_table(), limit, start_key)
    return {"stores": page.stores, "next_token": encode_token(page.last_key, STORES)}


@app.get("/items")
def list_items() -> dict[str, Any]:
    limit = parse_limit(_query("limit"))
    if parse_prefix(_query("prefix")):
        raise InvalidParameter("prefix searches within one store: GET /items/{store}?prefix=")
    if parse_low_stock(_query("low_stock")):
        start_key = decode_token(_query("next_token"), LOW_STOCK)
        table, index = aws_clients.inventory_table(), aws_clients.low_stock_index_name()
        return _body(low_stock_page(table, index, limit, start_key), LOW_STOCK)
    start_key = decode_token(_query("next_token"), ALL_ITEMS)
    return _body(scan_page(aws_clients.inventory_table(), limit, start_key), ALL_ITEMS)


@app.get("/items/<store>")
def list_store_items(store: str) -> dict[str, Any]:
    # API Gateway gives the decoded value in pathParameters; the route match sees the raw path.
    store = (app.current_event.path_parameters or {}).get("store") or unquote(store)
    if len(store.encode()) > MAX_STORE_BYTES:
        raise InvalidParameter(f"store is longer than {MAX_STORE_BYTES} bytes")
    limit = parse_limit(_query("limit"))
    if parse_low_stock(_query("low_stock")):
        raise InvalidParameter("low_stock lists every store: GET /items?low_stock=true")
    prefix = parse_prefix(_query("prefix"))
    listing = store_items(store, prefix)
    start_key = decode_token(_query("next_token"), listing)
    page = store_page(aws_clients.inventory_table(), store, limit, start_key, prefix)
    return _body(page, listing)


def _query(name: str) -> str | None:
    return app.current_event.get_query_string_value(name)


def _body(page: ItemsPage, listing: Listing) -> dict[str, Any]:
    return {"items": page.items, "next_token": encode_token(page.last_key, listing)}


def _message(status_code: int, message: str) -> Response:
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body={"message": message},
    )


@app.exception_handler(InvalidParameter)
def invalid_parameter(error: InvalidParameter) -> Response:
    return _message(400, str(error))


@app.exception_handler(ClientError)
def dynamodb_refused(error: ClientError) -> Response:
    # A token that passed our checks may still name a key DynamoDB refuses as a start key.
    token_given = bool(app.current_event.get_query_string_value("next_token"))
    if token_given and error.response.get("Error", {}).get("Code") == "ValidationException":
        logger.info("DynamoDB refused the request", extra={"error": str(error)})
        return _message(400, "next_token is not valid")
    raise error


@app.not_found
def not_found(error: NotFoundError) -> Response:
    return _message(404, "Not found: the API serves GET /stores, GET /items and GET /items/{store}")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
