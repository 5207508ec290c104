"""Concurrent writes to one DynamoDB item are atomic on the local cloud, as on AWS.

The inventory loader counts finished ranges with ``ADD done_ranges :r`` and counts each once
with conditions; a lost update left a load waiting forever. Many threads, one item.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from tests.local_cloud.conftest import unique

WRITERS = 16
WRITES_EACH = 25


def make_table(aws: Callable[[str], Any]) -> str:
    name = unique("atomic")
    aws("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def test_concurrent_range_settlements_of_one_load_lose_nothing(
    aws: Callable[[str], Any],
) -> None:
    # The loader's own update (app_inventory/load_state.py): a conditional UpdateItem that sets
    # a key of a map, adds to a number set and removes map keys, from many workers at once.
    table = make_table(aws)
    ranges = WRITERS * WRITES_EACH
    key = {"pk": {"S": "load"}}
    aws("dynamodb").put_item(
        TableName=table,
        Item={**key, "progress": {"M": {}}, "failed": {"M": {}}, "errors": {"M": {}}},
    )

    def writer(n: int) -> None:
        client = aws("dynamodb")
        for k in range(WRITES_EACH):
            index = n * WRITES_EACH + k
            client.update_item(
                TableName=table,
                Key=key,
                UpdateExpression=(
                    "SET progress.#r = :rows ADD done_ranges :ranges REMOVE failed.#r, errors.#r"
                ),
                ConditionExpression="attribute_exists(pk) AND NOT contains(done_ranges, :index)",
                ExpressionAttributeNames={"#r": str(index)},
                ExpressionAttributeValues={
                    ":rows": {"N": "2"},
                    ":ranges": {"NS": [str(index)]},
                    ":index": {"N": str(index)},
                },
            )

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(writer, range(WRITERS)))

    item = aws("dynamodb").get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    assert len(item["done_ranges"]["NS"]) == ranges
    assert len(item["progress"]["M"]) == ranges


def test_of_concurrent_conditional_claims_exactly_one_wins(aws: Callable[[str], Any]) -> None:
    table = make_table(aws)
    for round_number in range(10):
        key = {"pk": {"S": f"range-{round_number}"}}

        def claim(_: int, key: dict[str, Any] = key) -> bool:
            try:
                aws("dynamodb").put_item(
                    TableName=table,
                    Item={**key, "owner": {"S": "me"}},
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except ClientError as error:
                assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"
                return False
            return True

        with ThreadPoolExecutor(WRITERS) as pool:
            wins = list(pool.map(claim, range(WRITERS)))

        assert wins.count(True) == 1
