"""What the read API's tests need besides the inventory table (``devtools.inventory_table``,
with its sparse ``low-stock`` index): the stores summary table, and rows written to both.

Rows are written as the loader writes them: ``low_stock = "LOW"`` only when the count is below
the threshold, so the index holds exactly the low items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

LOW_STOCK_VALUE = "LOW"

STORES_KEY_SCHEMA = [{"AttributeName": "store", "KeyType": "HASH"}]
STORES_ATTRIBUTES = [{"AttributeName": "store", "AttributeType": "S"}]

Row = tuple[str, str, int]


def create_stores_table(dynamodb: Any, name: str) -> Any:
    return dynamodb.create_table(
        TableName=name,
        KeySchema=STORES_KEY_SCHEMA,
        AttributeDefinitions=STORES_ATTRIBUTES,
        BillingMode="PAY_PER_REQUEST",
    )


def inventory_item(store: str, item: str, count: int, threshold: int) -> dict[str, Any]:
    """The item as the loader writes it (boto3 resource form)."""
    row: dict[str, Any] = {"store": store, "item": item, "count": Decimal(count)}
    if count < threshold:
        row["low_stock"] = LOW_STOCK_VALUE
    return row


def store_summaries(rows: Iterable[Row], threshold: int) -> dict[str, tuple[int, int]]:
    """``{store: (items, low_items)}``: what the stream handler keeps in the stores table."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for store, _, count in rows:
        counts[store][0] += 1
        counts[store][1] += count < threshold
    return {store: (items, low) for store, (items, low) in counts.items()}


def summary_item(store: str, items: int, low_items: int) -> dict[str, Any]:
    return {
        "store": store,
        "items": Decimal(items),
        "low_items": Decimal(low_items),
        "last_seq": "0" * 40,
    }


def fill_tables(inventory: Any, stores: Any, rows: Iterable[Row], threshold: int) -> None:
    """Write ``rows`` to the inventory (boto3 Table resources) and their summary to stores."""
    rows = list(rows)
    with inventory.batch_writer() as batch:
        for store, item, count in rows:
            batch.put_item(Item=inventory_item(store, item, count, threshold))
    with stores.batch_writer() as batch:
        for store, (items, low) in store_summaries(rows, threshold).items():
            batch.put_item(Item=summary_item(store, items, low))
