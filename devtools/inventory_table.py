"""The inventory table as the Terraform module defines it, for tests and benchmarks on moto."""

from __future__ import annotations

from typing import Any

KEY_SCHEMA = [
    {"AttributeName": "store", "KeyType": "HASH"},
    {"AttributeName": "item", "KeyType": "RANGE"},
]
ATTRIBUTES = [
    {"AttributeName": "store", "AttributeType": "S"},
    {"AttributeName": "item", "AttributeType": "S"},
]
STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def create_inventory_table(dynamodb: Any, name: str, *, stream: bool = True) -> Any:
    """Create the table with a boto3 DynamoDB client or resource; returns what it returns."""
    options: dict[str, Any] = {"StreamSpecification": STREAM} if stream else {}
    return dynamodb.create_table(
        TableName=name,
        KeySchema=KEY_SCHEMA,
        AttributeDefinitions=ATTRIBUTES,
        BillingMode="PAY_PER_REQUEST",
        **options,
    )
