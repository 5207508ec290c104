"""Lambda: the read API behind the HTTP API (payload format 2.0).

Handler: ``app_inventory.get_inventory_api.handler``; environment: ``TABLE_NAME``.

- ``GET /items?limit=&next_token=``: all items, a page at a time (Scan).
- ``GET /items/{store}?limit=&next_token=``: one store's items (Query on the partition key).

Both answer ``{"items": [{"store", "item", "count"}], "next_token": str | null}``; bad
parameters answer 400 ``{"message": reason}``. CORS headers come from the HTTP API's own
CORS configuration, not from here.
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
from app_inventory.item_pages import ItemsPage, scan_page, store_page
from app_inventory.items_pagination import (
    InvalidParameter,
    decode_token,
    encode_token,
    parse_limit,
)

logger = Logger()
app = APIGatewayHttpResolver()


@app.get("/items")
def list_items() -> dict[str, Any]:
    limit = parse_limit(app.current_event.get_query_string_value("limit"))
    start_key = decode_token(app.current_event.get_query_string_value("next_token"))
    return _body(scan_page(aws_clients.inventory_table(), limit, start_key))


@app.get("/items/<store>")
def list_store_items(store: str) -> dict[str, Any]:
    # API Gateway gives the decoded value in pathParameters; the route match sees the raw path.
    store = (app.current_event.path_parameters or {}).get("store") or unquote(store)
    if len(store.encode()) > MAX_STORE_BYTES:
        raise InvalidParameter(f"store is longer than {MAX_STORE_BYTES} bytes")
    limit = parse_limit(app.current_event.get_query_string_value("limit"))
    start_key = decode_token(app.current_event.get_query_string_value("next_token"), store)
    return _body(store_page(aws_clients.inventory_table(), store, limit, start_key))


def _body(page: ItemsPage) -> dict[str, Any]:
    return {"items": page.items, "next_token": encode_token(page.last_key)}


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
    return _message(404, "Not found: the API serves GET /items and GET /items/{store}")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
