"""The loader's pieces on in-process moto, driven the way Lambda drives them.

``Loader.load`` uploads an object, runs the planner on its S3 event, then plays the ranges
queue's event source mapping: it receives the queue's messages (moto applies the queue's
redrive policy, so a range that fails ``MAX_RECEIVES`` times moves to the failures queue), hands
them to the worker's handler in SQS event shape, deletes what succeeded, and finally plays the
failures queue's mapping the same way.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from app_inventory import load_clients, load_inventory, load_inventory_range, load_range_failed
from tests.app_inventory.conftest import REGION, FakeLambdaContext, InventoryStack, s3_event

LOADS_TABLE = "inventory-loads-dev"
MAX_RECEIVES = 3
WORKER_FUNCTION = "inventory-dev-load-range"


@dataclass
class Loader:
    stack: InventoryStack
    ranges_queue_url: str
    failures_queue_url: str
    dlq_url: str
    context: FakeLambdaContext

    def upload_event(self, key: str, body: bytes) -> dict[str, Any]:
        """Upload ``body``; the S3 event of that PUT (each PUT has its own sequencer)."""
        boto3.client("s3").put_object(Bucket=self.stack.bucket, Key=key, Body=body)
        event = s3_event(self.stack.bucket, key)
        event["Records"][0]["s3"]["object"]["sequencer"] = uuid.uuid4().hex[:18].upper()
        return event

    def load(self, key: str, body: bytes, **run: Any) -> dict[str, Any]:
        """Upload and load ``body``; the planner's answer."""
        return self.run(self.upload_event(key, body), **run)

    def run(
        self,
        event: dict[str, Any],
        *,
        worker: Callable[[dict[str, Any], Any], Any] | None = None,
        worker_context: Any = None,
    ) -> dict[str, Any]:
        planned: dict[str, Any] = load_inventory.handler(event, self.context)
        self.drain(worker=worker, worker_context=worker_context)
        return planned

    def drain(
        self,
        *,
        worker: Callable[[dict[str, Any], Any], Any] | None = None,
        worker_context: Any = None,
    ) -> int:
        """Deliver the queued ranges, then the failures; the number of worker invocations."""
        invocations = _pump(
            self.ranges_queue_url,
            worker or load_inventory_range.handler,
            worker_context or self.context,
        )
        _pump(self.failures_queue_url, load_range_failed.handler, self.context)
        return invocations

    def dead_letters(self) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs")
        found: list[dict[str, Any]] = []
        while True:
            messages = sqs.receive_message(
                QueueUrl=self.dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=0
            ).get("Messages", [])
            if not messages:
                return found
            for message in messages:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.dlq_url, ReceiptHandle=message["ReceiptHandle"])


def _pump(queue_url: str, handler: Callable[[dict[str, Any], Any], Any], context: Any) -> int:
    sqs = boto3.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    invocations = 0
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=1,
            VisibilityTimeout=0,  # a failed message is at once visible again, as after a retry
            AttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return invocations
        invocations += 1
        event = {"Records": [_sqs_record(message, arn) for message in messages]}
        try:
            answer = handler(event, context)
            failed = {f["itemIdentifier"] for f in (answer or {}).get("batchItemFailures", [])}
        except Exception:
            failed = {message["MessageId"] for message in messages}  # the whole batch failed
        for message in messages:
            handle = message["ReceiptHandle"]
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=handle)
            else:  # the back-off's time has passed: the message is visible again
                sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0
                )


def _sqs_record(message: dict[str, Any], arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": REGION,
    }


def _queue(name: str, redrive_to: str | None = None, max_receives: int = MAX_RECEIVES) -> str:
    sqs = boto3.client("sqs")
    attributes = {}
    if redrive_to:
        target = sqs.get_queue_attributes(QueueUrl=redrive_to, AttributeNames=["QueueArn"])
        attributes["RedrivePolicy"] = json.dumps(
            {
                "deadLetterTargetArn": target["Attributes"]["QueueArn"],
                "maxReceiveCount": max_receives,
            }
        )
    return str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


@contextmanager
def loader_with(
    range_rows: int,
    stack: InventoryStack,
    context: FakeLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Loader]:
    boto3.client("dynamodb").create_table(
        TableName=LOADS_TABLE,
        KeySchema=[{"AttributeName": "load_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "load_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dlq = _queue("load-dlq")
    # A message keeps its receive count when it moves on: the failures queue allows more.
    failures = _queue("load-failures", redrive_to=dlq, max_receives=MAX_RECEIVES + 5)
    ranges = _queue("load-ranges", redrive_to=failures)
    for name, value in {
        "LOADS_TABLE_NAME": LOADS_TABLE,
        "RANGES_QUEUE_URL": ranges,
        "LOAD_DLQ_URL": dlq,
        "LOAD_RANGE_ROWS": str(range_rows),
        "WORKER_FUNCTION_NAME": WORKER_FUNCTION,
        "WORKER_TIMEOUT": "60",
        "WORKER_ATTEMPTS": str(MAX_RECEIVES),
    }.items():
        monkeypatch.setenv(name, value)
    load_clients.reset()
    yield Loader(stack, ranges, failures, dlq, context)
    load_clients.reset()


@pytest.fixture(params=[50_000, 2], ids=["one-range", "two-row-ranges"])
def loader(
    request: pytest.FixtureRequest,
    stack: InventoryStack,
    lambda_context: FakeLambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Loader]:
    """The loader's tables and queues; every test runs with one range and with tiny ranges."""
    with loader_with(request.param, stack, lambda_context, monkeypatch) as ready:
        yield ready


@pytest.fixture
def loader_1000(
    stack: InventoryStack, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Loader]:
    """Ranges of 1,000 rows, for files of thousands of rows."""
    with loader_with(1000, stack, lambda_context, monkeypatch) as ready:
        yield ready
