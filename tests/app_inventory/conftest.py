"""Fixtures for the inventory handlers: an in-process moto account holding the stack's pieces.

The table has a stream (as deployed). Two SQS queues observe the topic: one subscribed with raw
delivery (the message and its attributes as published) and one with the SNS envelope (which
carries the subject).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from app_inventory import aws_clients
from devtools.inventory_table import create_inventory_table
from tests.conftest import load_event
from tests.lambda_context import FakeLambdaContext

REGION = "us-east-1"
BUCKET = "inventory-uploads-123456789012-dev"
TABLE = "inventory-123456789012-dev"
TOPIC = "NoStock"


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@dataclass
class InventoryStack:
    """The deployed resources, with the reads a test needs to check what a handler did."""

    bucket: str
    table: Any
    topic_arn: str
    raw_queue_url: str
    envelope_queue_url: str

    def upload(self, key: str, body: bytes) -> dict[str, Any]:
        """Put an object and return the S3 event the upload would send."""
        boto3.client("s3").put_object(Bucket=self.bucket, Key=key, Body=body)
        return s3_event(self.bucket, key)

    def items(self) -> dict[tuple[str, str], dict[str, Any]]:
        items = self.table.scan()["Items"]
        return {(item["store"], item["item"]): item for item in items}

    def counts(self) -> dict[tuple[str, str], int]:
        return {key: int(item["count"]) for key, item in self.items().items()}

    def put_items(self, *rows: tuple[str, str, int]) -> None:
        with self.table.batch_writer() as batch:
            for store, item, count in rows:
                batch.put_item(Item={"store": store, "item": item, "count": Decimal(count)})

    def report(self, key: str) -> dict[str, Any]:
        body = boto3.client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return json.loads(body)

    def published(self) -> list[dict[str, Any]]:
        """Messages published so far: ``{"message", "attributes": {name: value}}``."""
        return [
            {
                "message": message["Body"],
                "attributes": {
                    name: value["StringValue"]
                    for name, value in message.get("MessageAttributes", {}).items()
                },
            }
            for message in _drain(self.raw_queue_url)
        ]

    def stream_records(self, since: int = 0) -> list[dict[str, Any]]:
        """The table's stream records from position ``since``, as JSON as Lambda receives them.

        Read from moto's backend: in this moto and botocore pairing the in-process
        DynamoDB Streams API answers 404, and the local cloud feeds Lambda from the same list.
        """
        shard = dynamodb_backends[ACCOUNT_ID][REGION].get_table(TABLE).stream_shard
        assert shard is not None, "the table has no stream"
        return [json.loads(json.dumps(r.to_json(), default=str)) for r in shard.items[since:]]

    def subjects(self) -> list[str]:
        return [
            json.loads(message["Body"])["Subject"] for message in _drain(self.envelope_queue_url)
        ]


def _drain(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return messages
        messages.extend(batch)


def s3_event(bucket: str, key: str) -> dict[str, Any]:
    """The recorded ObjectCreated event, pointed at ``bucket``/``key``, URL-encoded as S3 does."""
    event = copy.deepcopy(load_event("s3_object_created"))
    record = event["Records"][0]["s3"]
    record["bucket"]["name"] = bucket
    record["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    record["object"]["key"] = quote_plus(key, safe="/")
    return event


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.setenv("LOW_STOCK_THRESHOLD", "5")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "inventory")


@pytest.fixture
def stack(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[InventoryStack]:
    with mock_aws():
        aws_clients.reset()
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        table = create_inventory_table(boto3.resource("dynamodb"), TABLE)
        topic_arn = boto3.client("sns").create_topic(Name=TOPIC)["TopicArn"]
        raw_queue_url = _subscribed_queue(topic_arn, "alerts-raw", raw=True)
        envelope_queue_url = _subscribed_queue(topic_arn, "alerts-envelope", raw=False)
        monkeypatch.setenv("TOPIC_ARN", topic_arn)
        yield InventoryStack(BUCKET, table, topic_arn, raw_queue_url, envelope_queue_url)
        aws_clients.reset()


def _subscribed_queue(topic_arn: str, name: str, *, raw: bool) -> str:
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    boto3.client("sns").subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=attributes["Attributes"]["QueueArn"],
        Attributes={"RawMessageDelivery": "true" if raw else "false"},
    )
    return queue_url
