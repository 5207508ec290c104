"""Read one page of the stores summary: each store with its item and low-stock counts.

The summary table is small (one item per store) and kept up to date from the inventory's
stream, so the list of stores never needs a scan of the inventory itself. A store whose items
were all removed keeps its row (its stream bookkeeping must survive) but is not listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app_inventory.item_pages import json_number
from app_inventory.items_pagination import PageKey

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


@dataclass(frozen=True)
class StoresPage:
    stores: list[dict[str, Any]]
    last_key: PageKey | None


def stores_page(table: Table, limit: int, start_key: PageKey | None) -> StoresPage:
    arguments: dict[str, Any] = {
        "Limit": limit,
        # Only what the answer shows: last_seq is the stream handler's bookkeeping.
        "ProjectionExpression": "#store, #items, low_items",
        "ExpressionAttributeNames": {"#store": "store", "#items": "items"},
        "FilterExpression": "#items > :none",
        "ExpressionAttributeValues": {":none": 0},
    }
    if start_key:
        arguments["ExclusiveStartKey"] = start_key
    # Keys of this table are strings: the LastEvaluatedKey is a PageKey.
    response: Any = table.scan(**arguments)
    return StoresPage(
        stores=[_public_store(store) for store in response.get("Items", [])],
        last_key=response.get("LastEvaluatedKey"),
    )


def _public_store(store: dict[str, Any]) -> dict[str, Any]:
    # A store the stream has just created may lack a counter for a moment: 0, not null.
    return {
        "store": store.get("store"),
        "items": json_number(store.get("items", 0)),
        "low_items": json_number(store.get("low_items", 0)),
    }
