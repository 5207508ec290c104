"""What the stream handler needs besides the inventory stack: the stores and idempotency tables
and the stream dead-letter queue, as the Terraform module defines them, with reads for tests.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3
import pytest

from app_inventory import aws_clients
from app_inventory.notify_low_stock import logger

from .conftest import InventoryStack

STORES_TABLE = "inventory-stores-123456789012-dev"
IDEMPOTENCY_TABLE = "inventory-idempotency-123456789012-dev"
STREAM_DLQ = "inventory-stream-dlq-dev"


@dataclass
class StreamStack:
    inventory: InventoryStack
    stores_table: Any
    idempotency_table: Any
    dlq_url: str

    def summary(self) -> dict[str, tuple[int, int]]:
        """``{store: (items, low_items)}`` as the stores table holds them."""
        return {
            row["store"]: (int(row["items"]), int(row["low_items"]))
            for row in self.stores_table.scan(ConsistentRead=True)["Items"]
        }

    def table_summary(self, threshold: int = 5) -> dict[str, tuple[int, int]]:
        """The same counts computed from the inventory table itself (numeric counts only)."""
        counts: dict[str, tuple[int, int]] = {}
        for (store, _), item in self.inventory.items().items():
            if not isinstance(item["count"], Decimal):
                continue
            items, low = counts.get(store, (0, 0))
            counts[store] = (items + 1, low + int(int(item["count"]) < threshold))
        return counts

    def alerts(self) -> list[tuple[str, str, int]]:
        """Alerts published since the last call, as (store, item, count), in order."""
        return [
            (m["store"], m["item"], int(m["count"]))
            for m in _take(self.inventory.raw_queue_url, "All")
        ]

    def dead_letters(self) -> list[dict[str, Any]]:
        """Dead-letter messages received since the last call."""
        return [json.loads(m["body"]) for m in _take(self.dlq_url)]

    def restore_topic(self) -> None:
        """Create the topic again (same name, same ARN) with its two observing queues."""
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        topic_arn = sns.create_topic(Name=self.inventory.topic_arn.split(":")[-1])["TopicArn"]
        assert topic_arn == self.inventory.topic_arn
        for queue_url, raw in (
            (self.inventory.raw_queue_url, "true"),
            (self.inventory.envelope_queue_url, "false"),
        ):
            queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
            sns.subscribe(
                TopicArn=topic_arn,
                Protocol="sqs",
                Endpoint=queue_arn["Attributes"]["QueueArn"],
                Attributes={"RawMessageDelivery": raw},
            )

    def alert_records(self) -> int:
        """How many alert records the idempotency table holds."""
        return len(self.idempotency_table.scan()["Items"])


def _take(queue_url: str, attributes: str | None = None) -> list[dict[str, str]]:
    """Receive and delete every message: ``{"body", attribute: value}`` (moto's queues slow
    down with every message left in flight)."""
    sqs = boto3.client("sqs")
    names = {"MessageAttributeNames": [attributes]} if attributes else {}
    messages: list[dict[str, str]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, **names).get(
            "Messages", []
        )
        if not batch:
            return messages
        for message in batch:
            attributes_ = message.get("MessageAttributes", {})
            messages.append(
                {"body": message["Body"]}
                | {name: value["StringValue"] for name, value in attributes_.items()}
            )
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def add_stream_resources(stack: InventoryStack, monkeypatch: pytest.MonkeyPatch) -> StreamStack:
    """Create the tables and queue in the stack's moto account and point the handler at them."""
    dynamodb = boto3.resource("dynamodb")
    stores = dynamodb.create_table(
        TableName=STORES_TABLE,
        KeySchema=[{"AttributeName": "store", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "store", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    idempotency = dynamodb.create_table(
        TableName=IDEMPOTENCY_TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    boto3.client("dynamodb").update_time_to_live(
        TableName=IDEMPOTENCY_TABLE,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"},
    )
    dlq_url = boto3.client("sqs").create_queue(QueueName=STREAM_DLQ)["QueueUrl"]
    monkeypatch.setenv("STORES_TABLE_NAME", STORES_TABLE)
    monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", IDEMPOTENCY_TABLE)
    monkeypatch.setenv("STREAM_DLQ_URL", dlq_url)
    aws_clients.reset()
    return StreamStack(stack, stores, idempotency, dlq_url)


@contextmanager
def captured_log() -> Iterator[list[dict[str, Any]]]:
    """The handler's Powertools log lines (JSON, as CloudWatch gets them) while the block runs."""
    lines: list[dict[str, Any]] = []
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield lines
    finally:
        handler.setStream(previous)
        lines.extend(json.loads(line) for line in buffer.getvalue().splitlines() if line)
