"""Read one page of inventory items: all stores (Scan) or one store (Query on its key)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key

from app_inventory.items_pagination import PageKey

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


def store_page(table: Table, store: str, limit: int, start_key: PageKey | None) -> ItemsPage:
    """A store's items in item order, read by Query on the partition key, never a Scan."""
    arguments: dict[str, Any] = {"KeyConditionExpression": Key("store").eq(store), "Limit": limit}
    if start_key:
        arguments["ExclusiveStartKey"] = start_key
    return _page(table.query(**arguments))


def _page(response: Any) -> ItemsPage:
    return ItemsPage(
        items=[_public_item(item) for item in response.get("Items", [])],
        last_key=response.get("LastEvaluatedKey"),
    )


def _public_item(item: dict[str, Any]) -> dict[str, Any]:
    count = item.get("count")
    # DynamoDB numbers come back as Decimal; the API promises JSON integers.
    return {
        "store": item.get("store"),
        "item": item.get("item"),
        "count": int(count) if isinstance(count, Decimal | int) else count,
    }
