"""HTTP API (payload format 2.0) events for the read API, built from the recorded ones."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import quote

from app_inventory.get_inventory_api import handler
from tests.conftest import load_event


def _with_query(event: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
    event["queryStringParameters"] = query or None
    event["rawQueryString"] = "&".join(f"{k}={quote(v)}" for k, v in query.items())
    return event


def items_request(**query: str) -> dict[str, Any]:
    return _with_query(copy.deepcopy(load_event("apigw_http_get_items")), query)


def stores_request(**query: str) -> dict[str, Any]:
    return _with_query(copy.deepcopy(load_event("apigw_http_get_stores")), query)


def store_request(store: str, **query: str) -> dict[str, Any]:
    event = copy.deepcopy(load_event("apigw_http_get_store_items"))
    raw_path = f"/items/{quote(store)}"
    event["rawPath"] = raw_path
    event["requestContext"]["http"]["path"] = raw_path
    event["pathParameters"] = {"store": store}
    return _with_query(event, query)


def call(event: dict[str, Any], context: Any) -> tuple[int, Any]:
    """Run the handler; its status code and decoded JSON body."""
    response = handler(event, context)
    assert "Access-Control-Allow-Origin" not in response.get("headers", {}), "CORS is the API's"
    return response["statusCode"], json.loads(response["body"])
