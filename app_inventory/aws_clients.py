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
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient

DEFAULT_LOW_STOCK_THRESHOLD = 5


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


def reset() -> None:
    """Forget the cached clients (tests start a fresh moto backend for each test)."""
    for factory in (s3_client, sns_client, inventory_table):
        factory.cache_clear()
