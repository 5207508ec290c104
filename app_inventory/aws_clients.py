"""AWS clients and settings for the handlers, created once per Lambda container.

Clients are made on first use rather than at import, so tests can start moto first and set the
environment; ``reset()`` drops them between tests. boto3 reads ``AWS_ENDPOINT_URL`` by itself,
which is how the same code talks to the local cloud.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:  # type stubs are a development dependency, absent from the Lambda zip
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

DEFAULT_LOW_STOCK_THRESHOLD = 5
DEFAULT_LOW_STOCK_INDEX_NAME = "low-stock"


@cache
def s3_client() -> S3Client:
    return boto3.client("s3")


@cache
def sns_client() -> SNSClient:
    return boto3.client("sns")


@cache
def inventory_table() -> Table:
    """The DynamoDB table named by ``TABLE_NAME``."""
    return boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def topic_arn() -> str:
    return os.environ["TOPIC_ARN"]


@cache
def stores_table() -> Table:
    """The stores summary table named by ``STORES_TABLE_NAME`` (one item per store)."""
    return boto3.resource("dynamodb").Table(os.environ["STORES_TABLE_NAME"])


def low_stock_index_name() -> str:
    """The sparse index of the items below the threshold (``LOW_STOCK_INDEX_NAME``)."""
    return os.environ.get("LOW_STOCK_INDEX_NAME", "").strip() or DEFAULT_LOW_STOCK_INDEX_NAME


def low_stock_threshold() -> int:
    raw = os.environ.get("LOW_STOCK_THRESHOLD", "").strip()
    if not raw:
        return DEFAULT_LOW_STOCK_THRESHOLD
    try:
        threshold = int(raw)
    except ValueError:
        raise ValueError(f"LOW_STOCK_THRESHOLD must be a whole number, got {raw!r}") from None
    if threshold < 0:
        raise ValueError(f"LOW_STOCK_THRESHOLD must not be negative, got {threshold}")
    return threshold


@cache
def sqs_client() -> SQSClient:
    return boto3.client("sqs")


def stream_dlq_url() -> str:
    """The queue for stream records that can never be used (``STREAM_DLQ_URL``)."""
    return os.environ["STREAM_DLQ_URL"]


@cache
def idempotency_store() -> DynamoDBPersistenceLayer:
    """Powertools' record of the alerts already sent, in ``IDEMPOTENCY_TABLE_NAME``."""
    # Imported here: only the stream handler needs it, the other handlers start faster.
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE_NAME"])


def reset() -> None:
    """Forget the cached clients (tests start a fresh moto backend for each test)."""
    for factory in (s3_client, sns_client, inventory_table):
        factory.cache_clear()
    stores_table.cache_clear()
    sqs_client.cache_clear()
    idempotency_store.cache_clear()
