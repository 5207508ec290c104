"""The inventory table as the Terraform module defines it, for tests and benchmarks on moto:
key ``store`` + ``item``, a stream with both images, and the sparse ``low-stock`` index that
holds only the items the loader marks ``low_stock = "LOW"``."""

from __future__ import annotations

from typing import Any

LOW_STOCK_INDEX = "low-stock"

KEY_SCHEMA = [
    {"AttributeName": "store", "KeyType": "HASH"},
    {"AttributeName": "item", "KeyType": "RANGE"},
]
ATTRIBUTES = [
    {"AttributeName": "store", "AttributeType": "S"},
    {"AttributeName": "item", "AttributeType": "S"},
    {"AttributeName": "low_stock", "AttributeType": "S"},
]
LOW_STOCK_GSI = {
    "IndexName": LOW_STOCK_INDEX,
    "KeySchema": [
        {"AttributeName": "low_stock", "KeyType": "HASH"},
        {"AttributeName": "store", "KeyType": "RANGE"},
    ],
    "Projection": {"ProjectionType": "ALL"},
}
STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def create_inventory_table(dynamodb: Any, name: str, *, stream: bool = True) -> Any:
    """Create the table with a boto3 DynamoDB client or resource; returns what it returns."""
    options: dict[str, Any] = {"StreamSpecification": STREAM} if stream else {}
    return dynamodb.create_table(
        TableName=name,
        KeySchema=KEY_SCHEMA,
        AttributeDefinitions=ATTRIBUTES,
        GlobalSecondaryIndexes=[LOW_STOCK_GSI],
        BillingMode="PAY_PER_REQUEST",
        **options,
    )
