"""Read one page of inventory items: all stores (Scan), one store (Query on its key, optionally
an item-name prefix), or the items low on stock (Query on the sparse low-stock index)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import ConditionBase, Key

from app_inventory.items_pagination import LOW_STOCK_VALUE, PageKey

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


@dataclass(frozen=True)
class ItemsPage:
    items: list[dict[str, Any]]
    last_key: PageKey | None


def scan_page(table: Table, limit: int, start_key: PageKey | None) -> ItemsPage:
    arguments: dict[str, Any] = {"Limit": limit}
    if start_key:
        arguments["ExclusiveStartKey"] = start_key
    return _page(table.scan(**arguments))


def store_page(
    table: Table, store: str, limit: int, start_key: PageKey | None, prefix: str = ""
) -> ItemsPage:
    """A store's items in item order, read by Query on the partition key, never a Scan; with a
    prefix, only the items whose name begins with it (a key condition, not a filter)."""
    condition: ConditionBase = Key("store").eq(store)
    if prefix:
        condition = condition & Key("item").begins_with(prefix)
    arguments: dict[str, Any] = {"KeyConditionExpression": condition, "Limit": limit}
    if start_key:
        arguments["ExclusiveStartKey"] = start_key
    return _page(table.query(**arguments))


def low_stock_page(
    table: Table, index_name: str, limit: int, start_key: PageKey | None
) -> ItemsPage:
    """Items below the threshold, by store: a Query on the sparse index, which holds only them.

    The index's ``LastEvaluatedKey`` holds its own keys and the table's (low_stock, store,
    item); all three are needed to resume.
    """
    arguments: dict[str, Any] = {
        "IndexName": index_name,
        "KeyConditionExpression": Key("low_stock").eq(LOW_STOCK_VALUE),
        "Limit": limit,
    }
    if start_key:
        arguments["ExclusiveStartKey"] = start_key
    return _page(table.query(**arguments))


def _page(response: Any) -> ItemsPage:
    return ItemsPage(
        items=[_public_item(item) for item in response.get("Items", [])],
        last_key=response.get("LastEvaluatedKey"),
    )


def _public_item(item: dict[str, Any]) -> dict[str, Any]:
    # Only the public fields: low_stock is the index's bookkeeping, not part of the answer.
    return {
        "store": item.get("store"),
        "item": item.get("item"),
        "count": json_number(item.get("count")),
    }


def json_number(value: Any) -> Any:
    # DynamoDB numbers come back as Decimal; the API promises JSON integers.
    return int(value) if isinstance(value, Decimal | int) else value
